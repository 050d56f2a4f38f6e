import { describe, expect, it } from 'vitest';
import { aggregate, choiceValues, encryptBallot, verifyBallot, type BallotShape } from '../../src/domain/e2e/ballot.js';
import { combine, encryptShare, partialDecrypt, signDealing } from '../../src/domain/e2e/tellers.js';
import { randomScalar } from '../../src/domain/e2e/group.js';
import { tallyRecord, type TallyRecord } from '../../src/domain/e2e/record.js';
import { verifyE2eTally } from '../../scripts/verify-e2e.js';
import { ceremony } from '../support/e2e-ceremony.js';

const VOTE: BallotShape = {
  options: ['yes', 'no', 'abstain'],
  groups: [{ id: 'all', options: ['yes', 'no', 'abstain'], min: 1, max: 1 }],
};
const CTX = ['vote', 'v-42'];

/**
 * A closed vote: 4 tellers, 2 needed; teller 4 sends teller 1 a wrong share (properly
 * encrypted and signed), teller 1's complaint holds, so 1, 2 and 3 are qualified; teller 1
 * does not show up at the tally, 2 and 3 decrypt. Three ballots: two seats, one bloc split.
 */
async function closedVote(): Promise<TallyRecord> {
  const c = await ceremony(CTX, 4, 2, async (d, coefficients, identities) => {
    if (d.index !== 4) return d;
    const wrong = await encryptShare(CTX, 4, identities[0]!, randomScalar());
    return signDealing(
      CTX,
      4,
      coefficients[0]!,
      d.commitments,
      d.shares.map((s) => (s.to === 1 ? wrong : s)),
    );
  });
  const cast = [
    { seatId: 's-1', weight: 2, split: false, values: choiceValues(VOTE, 2, ['yes']) },
    { seatId: 's-2', weight: 1, split: false, values: choiceValues(VOTE, 1, ['abstain']) },
    { seatId: 'bloc-3', weight: 3, split: true, values: { yes: 1, no: 2, abstain: 0 } },
  ];
  const ballots = cast.map((b) => ({
    ...b,
    ballot: encryptBallot(
      VOTE,
      { context: [...CTX, 'seat', b.seatId], weight: b.weight, split: b.split },
      c.publicKey,
      b.values,
    ).ballot,
  }));
  const cts = ballots.map((b) => {
    const check = verifyBallot(
      VOTE,
      { context: [...CTX, 'seat', b.seatId], weight: b.weight, split: b.split },
      c.publicKey,
      b.ballot,
    );
    if (!check.ok) throw new Error(check.reason);
    return check.cts;
  });
  const agg = aggregate(VOTE, cts);
  const partials = [2, 3].map((l) => partialDecrypt(CTX, l, c.shares.get(l)!, agg));
  const totals = combine(agg, partials, 2, 6);
  expect(totals).toEqual([3, 2, 1]);
  return tallyRecord({
    context: CTX,
    shape: VOTE,
    tellers: {
      threshold: 2,
      identities: c.identities,
      dealings: c.dealings,
      complaints: c.complaints,
      qualified: c.qualified,
    },
    publicKey: c.publicKey,
    ballots: ballots.map(({ seatId, weight, split, ballot }) => ({ seatId, weight, split, ballot })),
    aggregate: agg,
    partials,
    totals,
  });
}

type Leaf = { path: (string | number)[]; value: string | number | boolean };

function leaves(value: unknown, path: (string | number)[] = []): Leaf[] {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [];
}

function mutate(record: TallyRecord, leaf: Leaf): TallyRecord {
  const copy = structuredClone(record) as unknown as Record<string | number, unknown>;
  let at = copy;
  for (const k of leaf.path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const v = leaf.value;
  at[leaf.path.at(-1)!] =
    typeof v === 'number'
      ? v + 1
      : typeof v === 'boolean'
        ? !v
        : /^[0-9a-f]+$/.test(v)
          ? (v[0] === '0' ? '1' : '0') + v.slice(1)
          : `${v}x`;
  return copy as unknown as TallyRecord;
}

const failed = (checks: { ok: boolean; name: string; detail?: string }[]) => checks.filter((c) => !c.ok);

describe('the independent verifier of an encrypted tally', async () => {
  const record = await closedVote();

  it('passes the record of a vote with a disqualified teller and one missing at the tally', () => {
    const checks = verifyE2eTally(record as never, {
      electorate: new Map([
        ['s-1', 2],
        ['s-2', 1],
        ['bloc-3', 3],
      ]),
    });
    expect(failed(checks)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual([
      'shape',
      'tellers and the key ceremony',
      'joint public key',
      'ballots',
      'aggregate',
      'partial decryptions',
      'totals',
    ]);
    expect(record.tellers.qualified).toEqual([1, 2, 3]);
    expect(record.tellers.complaints).toHaveLength(1);
  });

  it('catches every single mutation of every kind of field', () => {
    // One mutation per field of each kind (array indices folded), at its first and last
    // place: a ciphertext, a proof part, a bit, a commitment, a share, a complaint, a
    // partial, a total, a weight, a tracker, an id, the format.
    const all = leaves(record);
    const byKind = new Map<string, Leaf[]>();
    for (const l of all) {
      const kind = l.path.map((k) => (typeof k === 'number' ? '*' : k)).join('.');
      byKind.set(kind, [...(byKind.get(kind) ?? []), l]);
    }
    const picked = [...byKind.values()].flatMap((ls) => (ls.length > 1 ? [ls[0]!, ls.at(-1)!] : ls));
    expect(byKind.size).toBeGreaterThan(40);
    const missed = picked.filter((l) => failed(verifyE2eTally(mutate(record, l) as never)).length === 0);
    expect(missed.map((l) => l.path.join('.'))).toEqual([]);
  });

  it('refuses a tally with one teller, a claimed total off by one, a dropped or an added ballot', async () => {
    const one = { ...record, partials: record.partials.slice(0, 1) };
    expect(failed(verifyE2eTally(one as never)).map((c) => c.name)).toEqual(['partial decryptions']);
    const off = { ...record, totals: { ...record.totals, yes: record.totals.yes! - 1, no: record.totals.no! + 1 } };
    expect(failed(verifyE2eTally(off as never)).map((c) => c.name)).toEqual(['totals']);
    const dropped = { ...record, ballots: record.ballots.slice(1) };
    expect(failed(verifyE2eTally(dropped as never)).map((c) => c.name)).toEqual(['aggregate']);
    // A ballot copied to another seat: its proofs name the first seat.
    const copied = { ...record, ballots: [...record.ballots, { ...record.ballots[0]!, seatId: 's-9' }] };
    expect(failed(verifyE2eTally(copied as never)).map((c) => c.name)).toEqual(['ballots']);
    const heavier = verifyE2eTally(record as never, {
      electorate: new Map([
        ['s-1', 1],
        ['s-2', 1],
        ['bloc-3', 3],
      ]),
    });
    expect(failed(heavier).map((c) => c.detail)).toEqual([expect.stringContaining('the electorate says 1')]);
  });
});
