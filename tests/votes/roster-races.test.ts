/**
 * Opening a vote while the desk or a delegate changes the roster (PostgreSQL only: PGlite has
 * one connection, so its transactions never interleave). Found by the resilience suite: the
 * snapshot share-locked the delegation and only then waited for the conference row, while a
 * proxy change held the conference row and waited for the delegation: a deadlock, answered 500.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, onPostgres, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { bearer } from '../support/auth.js';
import { rowsOf } from '../../src/db/client.js';

let t: TestApp;
let f: ConferenceFixture;
beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [{ name: 'X', delegates: [{ name: 'Ann' }, { name: 'Bob' }, { name: 'Cy' }] }],
  });
});
afterAll(async () => t?.close());

it.runIf(onPostgres())(
  'a proxy change racing the opening of a vote: both succeed, the snapshot holds the old or the new holder',
  async () => {
    const chair = await f.chairToken();
    const ann = await f.tokenOf('Ann');
    const annId = f.delegate('Ann').id;
    const bobId = f.delegate('Bob').id;
    const failures: string[] = [];
    for (let round = 0; round < 40; round++) {
      const created = await t.app.inject({
        method: 'POST',
        url: `/api/v1/conferences/${f.conferenceId}/votes`,
        headers: bearer(chair),
        payload: { subject: { type: 'motion' } },
      });
      const voteId = created.json<{ id: string }>().id;
      const to = round % 2 ? bobId : null;
      const [proxy, open] = await Promise.all([
        t.app.inject({
          method: 'PUT',
          url: `/api/v1/delegates/${annId}/proxy`,
          headers: bearer(ann),
          payload: { toDelegateId: to },
        }),
        t.app.inject({ method: 'POST', url: `/api/v1/votes/${voteId}/open`, headers: bearer(chair), payload: {} }),
      ]);
      if (proxy.statusCode !== 200 || open.statusCode !== 200)
        failures.push(`round ${round}: proxy ${proxy.statusCode}, open ${open.statusCode}`);
      const [seat] = rowsOf<{ castable_by_id: string | null }>(
        await t.ctx.db.execute(
          sql`select castable_by_id from electorate_seats where vote_id = ${voteId} and seat_id = ${annId}`,
        ),
      );
      // Either serialization is legal; anything else (a half-applied change) is not.
      expect([null, bobId]).toContain(seat?.castable_by_id ?? null);
    }
    expect(failures).toEqual([]);
  },
);
