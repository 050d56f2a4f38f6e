/** Parties, delegations, delegates and their rules; presence, proxies, substitution; snapshots stay apart. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { delegates, electorateSeats, votes } from '../../src/db/schema.js';
import { accountIdOf, api, ok } from '../support/api.js';
import { eventsOf } from '../support/events.js';
import { buildWorld, signInDelegate, type World } from '../support/world.js';

let t: TestApp;
let w: World;
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
});
afterAll(async () => t?.close());

type Delegate = { id: string; weight: number; role: string; present: boolean; proxyToId: string | null };

const refused = async (res: { statusCode: number; json: () => unknown }, status: number, code: string) => {
  expect({ status: res.statusCode, code: (res.json() as { code: string }).code }).toEqual({ status, code });
};

async function delegate(id: string): Promise<Delegate> {
  return ok<Delegate>(await api(t, w.admin, 'GET', `/api/v1/delegates/${id}`));
}

describe('parties and delegations', () => {
  it('creates a party and a delegation that refers to it, logging the delegation', async () => {
    const party = await ok<{ id: string }>(
      await api(t, w.admin, 'POST', '/api/v1/parties', {
        name: 'Greens of Somewhere',
        abbreviation: 'GoS',
        country: 'Somewhere',
      }),
      201,
    );
    const d = await ok<{ id: string; partyId: string; votes: number }>(
      await api(t, w.adminA, 'POST', `/api/v1/conferences/${w.confA}/delegations`, {
        name: 'Greens',
        partyId: party.id,
        votes: 4,
      }),
      201,
    );
    expect(d).toMatchObject({ partyId: party.id, votes: 4 });
    const last = (await eventsOf(t, w.confA)).at(-1)!;
    expect(last).toMatchObject({
      type: 'delegation.created',
      data: { delegationId: d.id, partyId: party.id, votes: 4 },
    });
    expect(last.actor).toBe(await accountIdOf(t, w.adminA));
  });

  it('refuses a duplicate name, an unknown party, negative votes and unknown fields', async () => {
    await refused(
      await api(t, w.admin, 'POST', `/api/v1/conferences/${w.confA}/delegations`, { name: 'Reds', votes: 1 }),
      409,
      'delegation_name_taken',
    );
    await refused(
      await api(t, w.admin, 'POST', `/api/v1/conferences/${w.confA}/delegations`, {
        name: 'Ghosts',
        votes: 1,
        partyId: '00000000-0000-4000-8000-000000000000',
      }),
      422,
      'party_not_found',
    );
    await refused(
      await api(t, w.admin, 'POST', `/api/v1/conferences/${w.confA}/delegations`, { name: 'Neg', votes: -1 }),
      400,
      'validation_failed',
    );
    await refused(
      await api(t, w.admin, 'POST', `/api/v1/conferences/${w.confA}/delegations`, { name: 'X', votes: 1, extra: 1 }),
      400,
      'validation_failed',
    );
    await refused(
      await api(t, w.admin, 'PATCH', `/api/v1/delegations/${w.blues.id}`, { name: 'Reds' }),
      409,
      'delegation_name_taken',
    );
    // The same name in another conference is fine.
    await ok(
      await api(t, w.admin, 'POST', `/api/v1/conferences/${w.confB}/delegations`, { name: 'Reds', votes: 1 }),
      201,
    );
  });

  it('refuses lowering votes below the delegates’ weights, allows it down to them', async () => {
    // Reds: votes 10, weights 3 + 2 + 2 + 0 = 7.
    await refused(
      await api(t, w.admin, 'PATCH', `/api/v1/delegations/${w.reds.id}`, { votes: 6 }),
      409,
      'allocation_exceeded',
    );
    const d = await ok<{ votes: number }>(
      await api(t, w.admin, 'PATCH', `/api/v1/delegations/${w.reds.id}`, { votes: 7 }),
    );
    expect(d.votes).toBe(7);
    await ok(await api(t, w.admin, 'PATCH', `/api/v1/delegations/${w.reds.id}`, { votes: 10 }));
    const changes = (await eventsOf(t, w.confA))
      .filter((e) => e.type === 'delegation.updated')
      .map((e) => e.data.changes);
    expect(changes).toEqual([{ votes: 7 }, { votes: 10 }]);
  });
});

describe('delegates', () => {
  it('creates delegates up to the allocation, not beyond', async () => {
    const m = await ok<Delegate>(
      await api(t, w.admin, 'POST', `/api/v1/delegations/${w.reds.id}/delegates`, {
        name: 'Red Three',
        weight: 3,
        externalId: 'R-3',
      }),
      201,
    );
    expect(m).toMatchObject({ role: 'delegate', weight: 3, present: false, proxyToId: null });
    // Now 10 of 10.
    await refused(
      await api(t, w.admin, 'POST', `/api/v1/delegations/${w.reds.id}/delegates`, { name: 'Red Four', weight: 1 }),
      409,
      'allocation_exceeded',
    );
    await refused(
      await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.d1}`, { weight: 3 }),
      409,
      'allocation_exceeded',
    );
    // Weight 0 always fits; lowering one and raising another stays within.
    await ok(
      await api(t, w.admin, 'POST', `/api/v1/delegations/${w.reds.id}/delegates`, { name: 'Red Observer', weight: 0 }),
      201,
    );
    await ok(await api(t, w.admin, 'PATCH', `/api/v1/delegates/${m.id}`, { weight: 2 }));
    const up = await ok<Delegate>(
      await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.d1}`, { weight: 3, name: 'Red One Sr' }),
    );
    expect(up.weight).toBe(3);
    const last = (await eventsOf(t, w.confA)).at(-1)!;
    expect(last).toMatchObject({
      type: 'delegate.updated',
      data: { delegateId: w.reds.d1, changes: { weight: 3, name: 'Red One Sr' } },
    });
    await ok(await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.d1}`, { weight: 2 }));
  });

  it('allows one head per delegation', async () => {
    await refused(
      await api(t, w.admin, 'POST', `/api/v1/delegations/${w.reds.id}/delegates`, {
        name: 'Second Head',
        role: 'head',
        weight: 0,
      }),
      409,
      'head_exists',
    );
    await refused(
      await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.d2}`, { role: 'head' }),
      409,
      'head_exists',
    );
    // The head may stay head (no change), and another delegation may have its own.
    await ok(await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.head}`, { role: 'head' }));
    await ok(await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.blues.b1}`, { role: 'head' }));
  });

  it('keeps externalId unique within a conference', async () => {
    await refused(
      await api(t, w.admin, 'POST', `/api/v1/delegations/${w.blues.id}/delegates`, {
        name: 'Copy',
        weight: 0,
        externalId: 'R-3',
      }),
      409,
      'external_id_taken',
    );
    await refused(
      await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.d2}`, { externalId: 'R-3' }),
      409,
      'external_id_taken',
    );
    const bd = await ok<{ id: string }>(
      await api(t, w.admin, 'POST', `/api/v1/conferences/${w.confB}/delegations`, { name: 'B-Greens', votes: 2 }),
      201,
    );
    await ok(
      await api(t, w.admin, 'POST', `/api/v1/delegations/${bd.id}/delegates`, {
        name: 'Same id',
        weight: 1,
        externalId: 'R-3',
      }),
      201,
    );
  });

  it('refuses unknown fields and a negative weight', async () => {
    await refused(
      await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.d2}`, { weight: -1 }),
      400,
      'validation_failed',
    );
    await refused(
      await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.d2}`, { present: true }),
      400,
      'validation_failed',
    );
    await refused(
      await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.d2}`, { delegationId: w.blues.id }),
      400,
      'validation_failed',
    );
  });
});

describe('presence', () => {
  it('checks in by the chair, the delegate themself or an admin; the log has actor and time; counts follow', async () => {
    const chairId = await accountIdOf(t, w.chairA);
    const d1Id = await accountIdOf(t, w.d1);
    const before = Date.now();
    expect(
      (
        await ok<Delegate>(
          await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.head}/presence`, { present: true }),
        )
      ).present,
    ).toBe(true);
    await ok(await api(t, w.d1, 'PUT', `/api/v1/delegates/${w.reds.d1}/presence`, { present: true }));
    await ok(await api(t, w.adminA, 'PUT', `/api/v1/delegates/${w.reds.alt}/presence`, { present: true }));
    const ins = (await eventsOf(t, w.confA)).filter((e) => e.type === 'delegate.checked_in');
    expect(ins.map((e) => [e.data.delegateId, e.actor])).toEqual([
      [w.reds.head, chairId],
      [w.reds.d1, d1Id],
      [w.reds.alt, await accountIdOf(t, w.adminA)],
    ]);
    for (const e of ins) expect(Date.parse(e.at)).toBeGreaterThanOrEqual(before - 1000);

    // The same state again logs nothing.
    const n = (await eventsOf(t, w.confA)).length;
    await ok(await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.head}/presence`, { present: true }));
    expect(await eventsOf(t, w.confA)).toHaveLength(n);

    const p = await ok<{
      overall: { delegates: number; present: number; weight: number; presentWeight: number };
      delegations: { name: string; present: number; presentWeight: number; votes: number }[];
    }>(await api(t, w.anonymous, 'GET', `/api/v1/conferences/${w.confA}/presence`));
    const reds = p.delegations.find((d) => d.name === 'Reds')!;
    expect(reds).toMatchObject({ present: 3, presentWeight: 5, votes: 10 });
    expect(p.overall.present).toBe(3);
    expect(p.overall.presentWeight).toBe(5);
    expect(p.delegations.find((d) => d.name === 'Blues')).toMatchObject({ present: 0, presentWeight: 0 });
  });

  it('checks out, logged as delegate.checked_out', async () => {
    await ok(await api(t, w.d1, 'PUT', `/api/v1/delegates/${w.reds.d1}/presence`, { present: false }));
    const last = (await eventsOf(t, w.confA)).at(-1)!;
    expect(last).toMatchObject({ type: 'delegate.checked_out', data: { delegateId: w.reds.d1 } });
    await ok(await api(t, w.d1, 'PUT', `/api/v1/delegates/${w.reds.d1}/presence`, { present: true }));
  });

  it('refuses a delegate checking in someone else, and bad bodies', async () => {
    await refused(
      await api(t, w.d1, 'PUT', `/api/v1/delegates/${w.reds.d2}/presence`, { present: true }),
      403,
      'not_your_seat',
    );
    await refused(
      await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d2}/presence`, { present: 'yes' }),
      400,
      'validation_failed',
    );
    await refused(
      await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d2}/presence`, {}),
      400,
      'validation_failed',
    );
  });
});

describe('proxies', () => {
  it('a delegate hands their vote to a present delegate of the delegation; logged with actor and time; revocable', async () => {
    // d2 (absent) gives their proxy to d1 (present): by d2? d2 has no session; the chair does it.
    const res = await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d2}/proxy`, { toDelegateId: w.reds.d1 });
    expect((await ok<Delegate>(res)).proxyToId).toBe(w.reds.d1);
    const ev = (await eventsOf(t, w.confA)).at(-1)!;
    expect(ev).toMatchObject({
      type: 'delegate.proxy_changed',
      data: { delegateId: w.reds.d2, from: null, to: w.reds.d1 },
    });
    expect(ev.actor).toBe(await accountIdOf(t, w.chairA));
    expect(Date.parse(ev.at)).toBeGreaterThan(0);

    const revoked = await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d2}/proxy`, { toDelegateId: null });
    expect((await ok<Delegate>(revoked)).proxyToId).toBeNull();
    expect((await eventsOf(t, w.confA)).at(-1)!.data).toEqual({ delegateId: w.reds.d2, from: w.reds.d1, to: null });
  });

  it('the delegate themself may give and revoke their own proxy', async () => {
    const d2 = await signInDelegate(t, w.reds.d2, 'delegate d2');
    await ok(await api(t, d2, 'PUT', `/api/v1/delegates/${w.reds.d2}/proxy`, { toDelegateId: w.reds.head }));
    const ev = (await eventsOf(t, w.confA)).at(-1)!;
    expect(ev.actor).toBe(await accountIdOf(t, d2));
    await ok(await api(t, d2, 'PUT', `/api/v1/delegates/${w.reds.d2}/proxy`, { toDelegateId: null }));
    await refused(
      await api(t, d2, 'PUT', `/api/v1/delegates/${w.reds.d1}/proxy`, { toDelegateId: null }),
      403,
      'not_your_seat',
    );
  });

  it('refuses a proxy to self', async () => {
    await refused(
      await api(t, w.d1, 'PUT', `/api/v1/delegates/${w.reds.d1}/proxy`, { toDelegateId: w.reds.d1 }),
      422,
      'proxy_to_self',
    );
  });

  it('refuses a proxy to another delegation (or an unknown delegate)', async () => {
    await ok(await api(t, w.b1, 'PUT', `/api/v1/delegates/${w.blues.b1}/presence`, { present: true }));
    await refused(
      await api(t, w.d1, 'PUT', `/api/v1/delegates/${w.reds.d1}/proxy`, { toDelegateId: w.blues.b1 }),
      422,
      'proxy_other_delegation',
    );
    await refused(
      await api(t, w.d1, 'PUT', `/api/v1/delegates/${w.reds.d1}/proxy`, {
        toDelegateId: '00000000-0000-4000-8000-000000000000',
      }),
      422,
      'proxy_other_delegation',
    );
  });

  it('refuses a proxy to an absent delegate', async () => {
    expect((await delegate(w.reds.d2)).present).toBe(false);
    await refused(
      await api(t, w.d1, 'PUT', `/api/v1/delegates/${w.reds.d1}/proxy`, { toDelegateId: w.reds.d2 }),
      409,
      'proxy_holder_absent',
    );
  });

  it('refuses chains both ways', async () => {
    // d2 -> d1 (d1 present).
    await ok(await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d2}/proxy`, { toDelegateId: w.reds.d1 }));
    // d1 holds d2's proxy, so d1 cannot pass it on to head.
    await refused(
      await api(t, w.d1, 'PUT', `/api/v1/delegates/${w.reds.d1}/proxy`, { toDelegateId: w.reds.head }),
      409,
      'proxy_chain',
    );
    // head -> d2 refused: d2 gave their own vote away... but d2 is absent; check in d2 first.
    await ok(await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d2}/presence`, { present: true }));
    await refused(
      await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.head}/proxy`, { toDelegateId: w.reds.d2 }),
      409,
      'proxy_chain',
    );
    // A holder may hold several proxies (alt -> d1 too), one level deep.
    await ok(await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.alt}/proxy`, { toDelegateId: w.reds.d1 }));
    await ok(await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.alt}/proxy`, { toDelegateId: null }));
  });

  it('a holder who checks out loses the proxies they held, and each lapse is logged', async () => {
    expect((await delegate(w.reds.d2)).proxyToId).toBe(w.reds.d1);
    await ok(await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d1}/presence`, { present: false }));
    expect((await delegate(w.reds.d2)).proxyToId).toBeNull();
    const [out, lapse] = (await eventsOf(t, w.confA)).slice(-2);
    expect(out).toMatchObject({ type: 'delegate.checked_out', data: { delegateId: w.reds.d1 } });
    expect(lapse).toMatchObject({
      type: 'delegate.proxy_changed',
      data: { delegateId: w.reds.d2, from: w.reds.d1, to: null, reason: 'holder_checked_out' },
    });
  });
});

describe('substitution by an alternate', () => {
  it('refuses while the delegate is present, a non-alternate, another delegation, self', async () => {
    // d2 is present now.
    await refused(
      await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d2}/substitute`, { alternateId: w.reds.alt }),
      409,
      'delegate_present',
    );
    // d1 is absent.
    await refused(
      await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d1}/substitute`, { alternateId: w.reds.d2 }),
      422,
      'not_an_alternate',
    );
    await refused(
      await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d1}/substitute`, { alternateId: w.blues.b1 }),
      422,
      'substitute_other_delegation',
    );
    await refused(
      await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d1}/substitute`, { alternateId: w.reds.d1 }),
      422,
      'substitute_self',
    );
  });

  it('moves the absent delegate’s weight to the alternate, keeping the delegation’s total', async () => {
    const before = await ok<{ delegations: { name: string; weight: number }[] }>(
      await api(t, w.admin, 'GET', `/api/v1/conferences/${w.confA}/presence`),
    );
    const res = await ok<{ delegate: Delegate; alternate: Delegate; weight: number }>(
      await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d1}/substitute`, { alternateId: w.reds.alt }),
    );
    expect(res.weight).toBe(2);
    expect(res.delegate.weight).toBe(0);
    expect(res.alternate.weight).toBe(2);
    const after = await ok<{ delegations: { name: string; weight: number }[] }>(
      await api(t, w.admin, 'GET', `/api/v1/conferences/${w.confA}/presence`),
    );
    expect(after.delegations.find((d) => d.name === 'Reds')!.weight).toBe(
      before.delegations.find((d) => d.name === 'Reds')!.weight,
    );
    const last = (await eventsOf(t, w.confA)).at(-1)!;
    expect(last).toMatchObject({
      type: 'delegate.substituted',
      data: { delegateId: w.reds.d1, alternateId: w.reds.alt, weight: 2 },
    });
    expect(last.actor).toBe(await accountIdOf(t, w.chairA));
    await refused(
      await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.d1}/substitute`, { alternateId: w.reds.alt }),
      409,
      'no_weight_to_substitute',
    );
    // The delegate returns: the desk moves the weight back, alternate first.
    await ok(await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.alt}`, { weight: 0 }));
    await ok(await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.d1}`, { weight: 2 }));
  });
});

describe('concurrent writes', () => {
  it('never exceed an allocation, and a roster import beside single writes does not deadlock', async () => {
    const g = await ok<{ id: string }>(
      await api(t, w.admin, 'POST', `/api/v1/conferences/${w.confA}/delegations`, { name: 'Race', votes: 5 }),
      201,
    );
    const attempts = Array.from({ length: 12 }, (_, i) =>
      api(t, w.admin, 'POST', `/api/v1/delegations/${g.id}/delegates`, { name: `Runner ${i}`, weight: 1 }),
    );
    const roster = api(t, w.admin, 'POST', `/api/v1/conferences/${w.confA}/roster`, {
      delegations: [
        { name: 'Race', votes: 5, delegates: [] },
        { name: 'Other', votes: 1, delegates: [{ name: 'O', externalId: 'O-1' }] },
      ],
    });
    const results = await Promise.all([...attempts, roster]);
    const statuses = results.slice(0, 12).map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    expect(results[12]!.statusCode).toBe(201);
    const members = await ok<{ items: { weight: number }[] }>(
      await api(t, w.admin, 'GET', `/api/v1/delegations/${g.id}/delegates`),
    );
    expect(members.items.reduce((s, m) => s + m.weight, 0)).toBe(5);
  });
});

describe('electorate snapshots', () => {
  it('a weight change after a vote opened leaves its electorate seats as they were; referenced seats cannot be deleted', async () => {
    const [vote] = await t.ctx.db
      .insert(votes)
      .values({
        conferenceId: w.confA,
        title: 'Snapshot check',
        subjectType: 'motion',
        mode: 'roll_call',
        weighting: 'delegate',
        majority: { rule: 'simple', base: 'yes_no' },
        state: 'open',
        openedAt: new Date(),
      })
      .returning();
    await t.ctx.db.insert(electorateSeats).values({
      voteId: vote!.id,
      seatId: w.reds.d2,
      delegationId: w.reds.id,
      delegateId: w.reds.d2,
      weight: 2,
      present: true,
    });
    await ok(await api(t, w.admin, 'PATCH', `/api/v1/delegates/${w.reds.d2}`, { weight: 1 }));
    await ok(await api(t, w.admin, 'PATCH', `/api/v1/delegations/${w.reds.id}`, { votes: 9 }));
    const [seat] = await t.ctx.db.select().from(electorateSeats).where(eq(electorateSeats.voteId, vote!.id));
    expect(seat!.weight).toBe(2);
    // There is no delete route; the database refuses a delete that would orphan the snapshot.
    await expect(t.ctx.db.delete(delegates).where(eq(delegates.id, w.reds.d2))).rejects.toThrow();
    await expect(t.ctx.db.execute(sql`delete from delegations where id = ${w.reds.id}`)).rejects.toThrow();
    expect((await delegate(w.reds.d2)).weight).toBe(1);
  });
});
