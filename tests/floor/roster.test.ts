/**
 * The delegate attributes the floor's rules need, quotaGroup (from the conference's set)
 * and firstCongress, through the roster import (JSON and CSV) and the delegate routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { api, ok } from '../support/api.js';
import { buildWorld, type World } from '../support/world.js';

let t: TestApp;
let w: World;
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
});
afterAll(async () => t?.close());

type Imported = {
  delegations: { delegates: { externalId: string; id: string; quotaGroup: string | null; firstCongress: boolean }[] }[];
};
const byExt = (r: Imported) => new Map(r.delegations.flatMap((g) => g.delegates).map((d) => [d.externalId, d]));

describe('quota group and first congress', () => {
  it('are imported from JSON, kept when a later import leaves them out, and cleared by null', async () => {
    const url = `/api/v1/conferences/${w.confA}/roster`;
    const first = await ok<Imported>(
      await api(t, w.admin, 'POST', url, {
        delegations: [
          {
            name: 'Greens',
            votes: 3,
            delegates: [
              { name: 'Anna', externalId: 'g-1', quotaGroup: 'woman', firstCongress: true },
              { name: 'Ben', externalId: 'g-2', quotaGroup: 'open' },
              { name: 'Cem', externalId: 'g-3' },
            ],
          },
        ],
      }),
      201,
    );
    const m = byExt(first);
    expect([m.get('g-1'), m.get('g-2'), m.get('g-3')].map((d) => [d!.quotaGroup, d!.firstCongress])).toEqual([
      ['woman', true],
      ['open', false],
      [null, false],
    ]);
    const again = await ok<Imported & { counts: { unchanged: number; updated: number } }>(
      await api(t, w.admin, 'POST', url, {
        delegations: [
          {
            name: 'Greens',
            votes: 3,
            delegates: [
              { name: 'Anna', externalId: 'g-1' },
              { name: 'Ben', externalId: 'g-2', quotaGroup: null },
              { name: 'Cem', externalId: 'g-3', firstCongress: true },
            ],
          },
        ],
      }),
      201,
    );
    expect(again.counts).toMatchObject({ unchanged: 1, updated: 2 });
    const anna = await ok<{ quotaGroup: string | null; firstCongress: boolean }>(
      await api(t, w.admin, 'GET', `/api/v1/delegates/${m.get('g-1')!.id}`),
    );
    expect(anna).toMatchObject({ quotaGroup: 'woman', firstCongress: true });
    const again2 = byExt(again);
    expect(again2.get('g-2')!.quotaGroup).toBeNull();
    expect(again2.get('g-3')!.firstCongress).toBe(true);
  });

  it('are read from the CSV columns quotaGroup and firstCongress', async () => {
    const csv = [
      'delegation,votes,name,externalId,quotaGroup,firstCongress',
      'Reds,10,Dora,r-1,woman,yes',
      'Reds,10,Emil,r-2,,no',
    ].join('\r\n');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${w.confA}/roster`,
      headers: { ...w.admin.headers, 'content-type': 'text/csv' },
      payload: csv,
    });
    const m = byExt(await ok<Imported>(res, 201));
    expect([m.get('r-1'), m.get('r-2')].map((d) => [d!.quotaGroup, d!.firstCongress])).toEqual([
      ['woman', true],
      [null, false],
    ]);
    const bad = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${w.confA}/roster`,
      headers: { ...w.admin.headers, 'content-type': 'text/csv' },
      payload: 'delegation,votes,name,externalId,firstCongress\r\nReds,10,Dora,r-1,perhaps',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ code: string }>().code).toBe('csv_invalid');
  });

  it('refuses a group that is not in the conference’s set, leaving the roster as it was', async () => {
    const res = await api(t, w.admin, 'POST', `/api/v1/conferences/${w.confA}/roster`, {
      delegations: [
        { name: 'Greens', votes: 3, delegates: [{ name: 'Anna', externalId: 'g-1', quotaGroup: 'martian' }] },
      ],
    });
    expect(res.statusCode).toBe(422);
    expect(res.json<{ code: string }>().code).toBe('quota_group_unknown');
    const created = await ok<{ quotaGroup: string | null; firstCongress: boolean }>(
      await api(t, w.admin, 'POST', `/api/v1/delegations/${w.blues.id}/delegates`, {
        name: 'Fay',
        weight: 0,
        role: 'alternate',
        quotaGroup: 'woman',
        firstCongress: true,
      }),
      201,
    );
    expect(created).toMatchObject({ quotaGroup: 'woman', firstCongress: true });
  });
});
