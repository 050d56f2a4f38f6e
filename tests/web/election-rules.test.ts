/**
 * The phone's election ballot rules (web/components/election-rules.ts): the limits it
 * refuses to cast, the bodies it posts, and the values an encrypted ballot seals, checked
 * against the shapes the service builds (src/domain/e2e/shapes.ts) and sealed for real with
 * encryptBallot, so that a ballot the phone lets through is one the proofs can prove.
 */
import { describe, expect, it } from 'vitest';
import {
  ballotProblem,
  clearBody,
  openedSelection,
  sealedValues,
  withApproval,
  withMark,
  withRanking,
  type BallotLimits,
} from '../../web/components/election-rules.js';
import { approvalShape, yesNoAbstainShape } from '../../src/domain/e2e/shapes.js';
import { encryptBallot, openBallot } from '../../src/domain/e2e/ballot.js';
import { fixedBase } from '../../src/domain/e2e/group.js';
import { createIdentity } from '../../src/domain/e2e/tellers.js';

const ids = ['c1', 'c2', 'c3'];
const yna: BallotLimits = {
  method: 'yes_no_abstain',
  toElect: 2,
  maxApprovals: null,
  candidates: ids,
  encrypted: true,
};
const approval: BallotLimits = { method: 'approval', toElect: 2, maxApprovals: 2, candidates: ids, encrypted: false };

describe('election ballot rules on the phone', () => {
  it('a first mark marks every other candidate abstain; too many yes is refused with the figures', () => {
    const one = withMark(ids, undefined, 'c2', 'yes');
    expect(one).toEqual({ marks: { c1: 'abstain', c2: 'yes', c3: 'abstain' } });
    expect(ballotProblem(yna, one)).toBeNull();
    const three = withMark(ids, withMark(ids, one, 'c1', 'yes'), 'c3', 'yes');
    expect(ballotProblem(yna, three)).toEqual({ key: 'vote.el.tooManyYes', vars: { max: 2, n: 3 } });
    // Encrypted: a candidate without a mark cannot be proven ({1, 1} per candidate).
    expect(ballotProblem(yna, { marks: { c1: 'no' } })).toEqual({ key: 'vote.el.markEach' });
    expect(ballotProblem({ ...yna, encrypted: false }, { marks: { c1: 'no' } })).toBeNull();
    expect(ballotProblem(yna, { marks: {} })).toEqual({ key: 'vote.el.markOne' });
  });

  it('approvals keep the ballot order and are limited to maxApprovals', () => {
    let sel = withApproval(ids, undefined, 'c3', true);
    sel = withApproval(ids, sel, 'c1', true);
    expect(sel).toEqual({ approve: ['c1', 'c3'] });
    expect(ballotProblem(approval, sel)).toBeNull();
    const over = withApproval(ids, sel, 'c2', true);
    expect(ballotProblem(approval, over)).toEqual({ key: 'vote.el.tooManyApprovals', vars: { max: 2, n: 3 } });
    expect(withApproval(ids, over, 'c1', false)).toEqual({ approve: ['c2', 'c3'] });
    expect(ballotProblem(approval, { approve: [] })).toBeNull();
  });

  it('a ranking: add, up, down, remove; the ends do not move further', () => {
    let r = withRanking(undefined, 'c2', 'add');
    r = withRanking(r, 'c1', 'add');
    r = withRanking(r, 'c3', 'add');
    expect(r).toEqual({ ranking: ['c2', 'c1', 'c3'] });
    expect(withRanking(r, 'c3', 'up')).toEqual({ ranking: ['c2', 'c3', 'c1'] });
    expect(withRanking(r, 'c2', 'up')).toEqual(r);
    expect(withRanking(r, 'c3', 'down')).toEqual(r);
    expect(withRanking(r, 'c1', 'remove')).toEqual({ ranking: ['c2', 'c3'] });
    expect(ballotProblem({ ...approval, method: 'stv_scottish' }, { ranking: [] })).toEqual({
      key: 'vote.el.rankOne',
    });
  });

  it("clear bodies are the route's forms, with the seat named for a proxy or a bloc", () => {
    expect(clearBody({ approve: ['c1'] }, null)).toEqual({ approve: ['c1'] });
    expect(clearBody({ marks: { c1: 'yes' } }, 's9')).toEqual({ marks: { c1: 'yes' }, onBehalfOf: 's9' });
    expect(clearBody({ choice: 'abstain' }, null)).toEqual({ choice: 'abstain' });
    expect(clearBody({ ranking: ['c2', 'c1'] }, null)).toEqual({ ranking: ['c2', 'c1'] });
  });

  it('sealed values give every option of the shape, and encrypt and open to the same selection', () => {
    const { identity } = createIdentity(['test', 'phone'], 1);
    const y = fixedBase(identity.publicKey);
    const statement = { context: ['election', 'e1', 'round', '1', 'seat', 's1'], weight: 3, split: false };

    const shape = yesNoAbstainShape(ids, 2);
    const sel = withMark(ids, withMark(ids, undefined, 'c1', 'yes'), 'c3', 'no');
    const values = sealedValues(shape.options, sel, 3);
    expect(Object.keys(values).sort()).toEqual([...shape.options].sort());
    expect(values).toMatchObject({ 'c1:yes': 3, 'c1:no': 0, 'c2:abstain': 3, 'c3:no': 3, 'c3:yes': 0 });
    const { ballot, secrets } = encryptBallot(shape, statement, y, values);
    const opened = openBallot(shape, statement, y, ballot, secrets)!;
    expect(openedSelection('yes_no_abstain', opened)).toEqual(sel);

    const aShape = approvalShape(ids, 2);
    const aSel = { approve: ['c2'] };
    const a = encryptBallot(aShape, statement, y, sealedValues(aShape.options, aSel, 3));
    expect(openedSelection('approval', openBallot(aShape, statement, y, a.ballot, a.secrets)!)).toEqual(aSel);
    // Over the limit, the proofs could not be made: the phone never lets such a ballot through.
    expect(() =>
      encryptBallot(
        shape,
        statement,
        y,
        sealedValues(shape.options, withMark(ids, withMark(ids, sel, 'c2', 'yes'), 'c3', 'yes'), 3),
      ),
    ).toThrow();
  });
});
