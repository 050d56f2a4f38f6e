/**
 * Property: for random electorates (weights, delegations, presence, proxies of absentees left
 * unused, abstentions and seats that never vote), a vote run through the real service gives
 * the tally of an independent recount, and the outcome of a reference rule computed by
 * cross-multiplication. The pure tally and majority functions have their own, much larger,
 * property tests under tests/domain; this one checks the whole path: snapshot, ballots, close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture } from '../support/fixtures.js';
import { rowsOf } from '../../src/db/client.js';
import { bearer as auth } from '../support/auth.js';

type Choice = 'yes' | 'no' | 'abstain';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const delegateArb = fc.record({
  weight: fc.integer({ min: 0, max: 5 }),
  present: fc.boolean(),
  choice: fc.constantFrom<Choice | null>('yes', 'no', 'abstain', null),
  self: fc.boolean(),
});
const caseArb = fc.record({
  delegations: fc.array(fc.array(delegateArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
  weighting: fc.constantFrom('delegate' as const, 'delegation' as const),
  rule: fc.constantFrom('simple' as const, 'two_thirds' as const),
  base: fc.constantFrom('yes_no' as const, 'cast' as const, 'present' as const, 'entitled' as const),
  quorum: fc.boolean(),
});

describe('tally from the database equals an independent recount', () => {
  it('for random electorates through the real service', async () => {
    let runs = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        runs++;
        const f = await createConferenceFixture(t, {
          delegations: c.delegations.map((members, g) => ({
            name: `G${g}`,
            delegates: members.map((m, i) => ({
              name: `G${g}-M${i}`,
              role: i === 0 ? ('head' as const) : ('delegate' as const),
              weight: m.weight,
              present: m.present,
            })),
          })),
        });
        const chair = await f.chairToken();
        const created = await t.app.inject({
          method: 'POST',
          url: `/api/v1/conferences/${f.conferenceId}/votes`,
          headers: auth(chair),
          payload: {
            subject: { type: 'motion' },
            weighting: c.weighting,
            majority: { rule: c.rule, base: c.base },
            quorum: c.quorum ? { numerator: 1, denominator: 2 } : null,
          },
        });
        const id = created.json<{ id: string }>().id;
        await t.app.inject({ method: 'POST', url: `/api/v1/votes/${id}/open`, headers: auth(chair) });

        // The model: what each seat is entitled to and casts.
        let entitled = 0;
        let present = 0;
        const cast = { yes: 0, no: 0, abstain: 0 };
        const send = async (token: string, body: Record<string, unknown>) => {
          const res = await t.app.inject({
            method: 'POST',
            url: `/api/v1/votes/${id}/ballots`,
            headers: { ...auth(token), 'idempotency-key': randomUUID() },
            payload: body,
          });
          expect(res.statusCode, res.body).toBe(201);
        };
        for (const [g, members] of c.delegations.entries()) {
          const delegation = f.delegation(`G${g}`);
          if (c.weighting === 'delegate') {
            for (const [i, m] of members.entries()) {
              if (m.weight === 0) continue;
              entitled += m.weight;
              if (m.present || m.choice) present += m.weight;
              if (!m.choice) continue;
              cast[m.choice] += m.weight;
              const d = delegation.delegates[i]!;
              if (m.self) await send(await f.tokenOf(d.id), { choice: m.choice });
              else await send(chair, { choice: m.choice, onBehalfOf: d.id });
            }
          } else {
            const votes = members.reduce((s, m) => s + m.weight, 0);
            if (votes === 0) continue;
            entitled += votes;
            const split = { yes: 0, no: 0, abstain: 0 };
            for (const m of members) if (m.choice) split[m.choice] += m.weight;
            const voted = members.some((m) => m.choice);
            if (members.some((m) => m.present) || voted) present += votes;
            if (!voted) continue;
            cast.yes += split.yes;
            cast.no += split.no;
            cast.abstain += split.abstain;
            if (members[0]!.self) await send(await f.tokenOf(delegation.delegates[0]!.id), { split });
            else await send(chair, { split, onBehalfOf: delegation.id });
          }
        }

        const r = (
          await t.app.inject({ method: 'POST', url: `/api/v1/votes/${id}/close`, headers: auth(chair) })
        ).json();
        const castSum = cast.yes + cast.no + cast.abstain;
        expect(r.totals).toEqual({ ...cast, notVoting: entitled - castSum });
        expect(r.entitled).toBe(entitled);
        expect(r.present).toBe(present);
        expect(r.totals.yes + r.totals.no + r.totals.abstain + r.totals.notVoting).toBe(r.entitled);

        // Recount from the ballot rows themselves (latest revision of each seat).
        const [recount] = rowsOf<{ yes: number; no: number; abstain: number }>(
          await t.ctx.db.execute(sql`
            select coalesce(sum(yes),0)::int as yes, coalesce(sum(no),0)::int as no, coalesce(sum(abstain),0)::int as abstain
            from (select distinct on (seat_id) yes, no, abstain from ballots where vote_id = ${id}
                  order by seat_id, revision desc) latest`),
        );
        expect(recount).toEqual(cast);

        // Per-delegation totals add up to the overall ones.
        const sums = { yes: 0, no: 0, abstain: 0, notVoting: 0, entitled: 0 };
        for (const d of r.byDelegation as (typeof sums)[])
          for (const k of Object.keys(sums) as (keyof typeof sums)[]) sums[k] += d[k];
        expect(sums).toEqual({ ...r.totals, entitled: r.entitled });

        // The rule, by cross-multiplication.
        const baseWeight = { yes_no: cast.yes + cast.no, cast: castSum, present, entitled }[c.base];
        const reaches = c.rule === 'simple' ? 2 * cast.yes > baseWeight : 3 * cast.yes >= 2 * baseWeight;
        const quorumMet = !c.quorum || 2 * castSum >= entitled;
        const expected = !quorumMet
          ? 'no_quorum'
          : reaches && cast.yes > cast.no && cast.yes >= 1
            ? 'adopted'
            : 'rejected';
        expect(r.outcome).toBe(expected);
      }),
      { numRuns: 15, seed: 20190831 },
    );
    console.log(`${runs} random electorates through the service in ${Date.now() - started} ms`);
  }, 120_000);
});
