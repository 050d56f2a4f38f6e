/**
 * A European Parliament roll call (sitting of 18 September 2024) replayed into Plenary with
 * its full membership: the political groups as delegations, every MEP as a seat. The CSV
 * record must give back the official per-member votes and per-group totals, with the
 * members who took no part as absent, and the published corrections listed apart without
 * changing the result (as in the EP's own annex).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { loadEpRollCall, type EpVote } from '../support/ep-roll-call.js';
import { corrections } from '../../src/db/schema.js';
import { verifyRecord, type Jwks } from '../../scripts/verify-core.js';
import { createClosedVote, createRoster } from '../audit/support/direct-vote.js';

const FILE = 'rcv_list_pv-10-2024-09-18-rcv-en.xml' as const;

/** RFC 4180 parsing, enough for the record's CSV (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  return rows;
}

let t: TestApp;
const replayed: { vote: EpVote; voteId: string; corrections: number }[] = [];
let memberCount = 0;

beforeAll(async () => {
  t = await createTestApp();
  const rc = loadEpRollCall(FILE);
  memberCount = rc.members.length;
  const seatOf = new Map(rc.members.map((m, i) => [m.mepId, i]));
  // Every member of the sitting holds a seat in every vote; who took no part is absent.
  const roster = await createRoster(
    t.ctx,
    rc.members.map((m) => ({ delegation: m.group, delegate: m.name, externalId: m.mepId, present: false })),
    { name: `European Parliament, sitting of ${rc.sittingDate}` },
  );
  for (const vote of rc.votes) {
    const voteId = await createClosedVote(t.ctx, roster, {
      title: vote.description,
      question: vote.title ?? vote.description,
      ballots: vote.votes.map((v, i) => ({
        seat: seatOf.get(v.member.mepId)!,
        split: {
          yes: v.choice === 'yes' ? 1 : 0,
          no: v.choice === 'no' ? 1 : 0,
          abstain: v.choice === 'abstain' ? 1 : 0,
        },
        atMs: 1000 + i,
      })),
    });
    const known = vote.corrections.filter((c) => 'mepId' in c.member && seatOf.has(c.member.mepId!));
    if (known.length) {
      await t.ctx.db.insert(corrections).values(
        known.map((c) => ({
          voteId,
          delegateId: roster.delegateIds[seatOf.get((c.member as { mepId: string }).mepId)!]!,
          intended: c.intended,
        })),
      );
    }
    replayed.push({ vote, voteId, corrections: known.length });
  }
}, 300_000);

afterAll(async () => {
  await t?.close();
});

describe(`EP roll call ${FILE} replayed`, () => {
  it('the CSV of every vote gives the official per-member votes, per-group totals and overall totals', async () => {
    expect(replayed.length).toBeGreaterThan(0);
    for (const { vote, voteId } of replayed) await checkCsv(vote, voteId);
  });

  async function checkCsv(vote: EpVote, voteId: string) {
    const res = await t.app.inject({ url: `/api/v1/votes/${voteId}/record`, headers: { accept: 'text/csv' } });
    expect(res.statusCode).toBe(200);
    const rows = parseCsv(res.body);
    const header = rows[0]!;
    const col = (name: string) => header.indexOf(name);
    const seats = rows.filter((r) => r[0] === 'seat');
    expect(seats).toHaveLength(memberCount);

    const key = (group: string, name: string, choice: string) => `${group}\u0000${name}\u0000${choice}`;
    const expected = vote.votes.map((v) => key(v.member.group, v.member.name, v.choice)).sort();
    const actual = seats
      .filter((r) => ['yes', 'no', 'abstain'].includes(r[col('choice')]!))
      .map((r) => key(r[col('delegation')]!, r[col('delegate')]!, r[col('choice')]!))
      .sort();
    expect(actual).toEqual(expected);
    expect(seats.filter((r) => r[col('choice')] === 'absent')).toHaveLength(memberCount - vote.votes.length);

    const perGroup = new Map<string, { yes: number; no: number; abstain: number }>();
    for (const v of vote.votes) {
      const g = perGroup.get(v.member.group) ?? { yes: 0, no: 0, abstain: 0 };
      g[v.choice]++;
      perGroup.set(v.member.group, g);
    }
    const totals = rows.filter((r) => r[0] === 'delegation_total');
    for (const r of totals) {
      const g = perGroup.get(r[col('delegation')]!) ?? { yes: 0, no: 0, abstain: 0 };
      expect({
        group: r[col('delegation')],
        yes: Number(r[col('yes')]),
        no: Number(r[col('no')]),
        abstain: Number(r[col('abstain')]),
      }).toEqual({ group: r[col('delegation')], ...g });
    }
    expect(totals.length).toBeGreaterThanOrEqual(perGroup.size);
    const total = rows.find((r) => r[0] === 'total')!;
    expect([Number(total[col('yes')]), Number(total[col('no')]), Number(total[col('abstain')])]).toEqual([
      vote.official.for,
      vote.official.against,
      vote.official.abstention,
    ]);
    console.log(
      `[ep] vote ${vote.identifier}: ${vote.votes.length} votes of ${memberCount} members in ${perGroup.size} groups; ` +
        `official ${vote.official.for}/${vote.official.against}/${vote.official.abstention} reproduced; ` +
        `${vote.corrections.length} corrections listed apart`,
    );
  }

  it('the JSON records verify and list the corrections without changing the result', async () => {
    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
    for (const { vote, voteId, corrections: known } of replayed) {
      const record = (await t.app.inject({ url: `/api/v1/votes/${voteId}/record` })).json<{
        corrections: unknown[];
        totals: { yes: number; no: number; abstain: number };
      }>();
      expect((await verifyRecord(record as never, jwks)).filter((c) => !c.ok)).toEqual([]);
      expect(record.totals).toMatchObject({
        yes: vote.official.for,
        no: vote.official.against,
        abstain: vote.official.abstention,
      });
      expect(record.corrections).toHaveLength(known);
    }
  });
});
