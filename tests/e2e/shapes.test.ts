/**
 * The ballot shapes of docs/e2e-ballots.md section 5, and that a phone's ballot in each shape
 * passes the service's check while one outside its bounds cannot even be made.
 */
import { describe, expect, it } from 'vitest';
import { approvalShape, candidateOption, voteShape, yesNoAbstainShape } from '../../src/domain/e2e/shapes.js';
import { BallotShapeError, encryptBallot, verifyBallot, type BallotShape } from '../../src/domain/e2e/ballot.js';
import { G, fixedBase, mul, pointToHex, randomScalar } from '../../src/domain/e2e/group.js';

const y = fixedBase(pointToHex(mul(G, randomScalar())));
const statement = { context: ['election', 'e-1', 'round', '1', 'seat', 's-1'], weight: 2, split: false };

function roundTrip(shape: BallotShape, values: Record<string, number>) {
  const { ballot } = encryptBallot(shape, statement, y, values);
  return verifyBallot(shape, statement, y, ballot).ok;
}

describe('ballot shapes', () => {
  it('a vote: yes, no, abstain, exactly one', () => {
    expect(voteShape()).toEqual({
      options: ['yes', 'no', 'abstain'],
      groups: [{ id: 'all', options: ['yes', 'no', 'abstain'], min: 1, max: 1 }],
    });
  });

  it('approval: one option per candidate, between min and maxApprovals marks', () => {
    expect(approvalShape(['a', 'b', 'c'], 2)).toEqual({
      options: ['a', 'b', 'c'],
      groups: [{ id: 'approvals', options: ['a', 'b', 'c'], min: 0, max: 2 }],
    });
    expect(approvalShape(['a', 'b'], 1, 1).groups[0]).toMatchObject({ min: 1, max: 1 });
    const shape = approvalShape(['a', 'b', 'c'], 2);
    expect(roundTrip(shape, { a: 2, c: 2 })).toBe(true);
    expect(roundTrip(shape, {})).toBe(true);
    expect(() => encryptBallot(shape, statement, y, { a: 2, b: 2, c: 2 })).toThrow(BallotShapeError);
    expect(() => encryptBallot(approvalShape(['a'], 1, 1), statement, y, {})).toThrow(BallotShapeError);
  });

  it('yes/no/abstain: three marks per candidate, one each, at most `seats` yes', () => {
    const shape = yesNoAbstainShape(['k', 'l'], 1);
    expect(shape).toEqual({
      options: ['k:yes', 'k:no', 'k:abstain', 'l:yes', 'l:no', 'l:abstain'],
      groups: [
        { id: 'k', options: ['k:yes', 'k:no', 'k:abstain'], min: 1, max: 1 },
        { id: 'l', options: ['l:yes', 'l:no', 'l:abstain'], min: 1, max: 1 },
        { id: 'yes', options: ['k:yes', 'l:yes'], min: 0, max: 1 },
      ],
    });
    expect(candidateOption('k', 'no')).toBe('k:no');
    expect(roundTrip(shape, { 'k:yes': 2, 'l:no': 2 })).toBe(true);
    // Two yes marks with one seat, or a candidate left unmarked.
    expect(() => encryptBallot(shape, statement, y, { 'k:yes': 2, 'l:yes': 2 })).toThrow(BallotShapeError);
    expect(() => encryptBallot(shape, statement, y, { 'k:yes': 2 })).toThrow(BallotShapeError);
  });
});
