/**
 * The phone's ballot outbox (web/client/outbox.ts) against the real service: it posts through
 * app.inject as the page posts through fetch. An entry stored by the version before elections
 * (no `target`) is still sent to its vote after the upgrade; an election's entry goes to the
 * election's route, and when its first answer is lost on the way back it is sent again with
 * the same Idempotency-Key, answered from the first request, and counted once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { bearer } from '../support/auth.js';
import { Outbox, type OutboxEntry, type Sender } from '../../web/client/outbox.js';

/** Web Storage over a Map: what localStorage is, in this process. */
class MemoryStorage implements Storage {
  private readonly m = new Map<string, string>();
  get length() {
    return this.m.size;
  }
  clear() {
    this.m.clear();
  }
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
}

let t: TestApp;
let fx: ConferenceFixture;
beforeAll(async () => {
  t = await createTestApp();
  fx = await createConferenceFixture(t, {
    name: 'Outbox Congress',
    delegations: [{ name: 'North', delegates: [{ name: 'Nia North' }] }],
  });
});
afterAll(async () => t?.close());

/** The page's sender: POST the entry's body with its key; `lose` drops the first n answers after the service acted. */
function sender(token: string, sent: { url: string; key: string; replayed: boolean }[], lose = 0): Sender {
  return async (entry) => {
    const url =
      entry.target === 'election'
        ? `/api/v1/elections/${entry.voteId}/ballots`
        : `/api/v1/votes/${entry.voteId}/ballots`;
    const res = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...bearer(token), 'idempotency-key': entry.key },
      payload: entry.body as Record<string, unknown>,
    });
    sent.push({ url, key: entry.key, replayed: res.headers['idempotent-replayed'] === 'true' });
    if (sent.length <= lose) return null;
    return { status: res.statusCode, body: res.json() };
  };
}

describe('the ballot outbox', () => {
  it('sends an entry stored before elections came (no target) to its vote', async () => {
    const voteId = await fx.openVote({ title: 'Motion on the outbox' });
    const storage = new MemoryStorage();
    // As the earlier version wrote it: no `target`.
    const stored: Omit<OutboxEntry, 'target'> = {
      key: crypto.randomUUID(),
      voteId,
      seatId: fx.delegate('Nia North').id,
      body: { choice: 'yes' },
      voteTitle: 'Motion on the outbox',
      seatLabel: 'My vote',
      mode: 'roll_call',
      createdAt: new Date().toISOString(),
    };
    storage.setItem('plenary.outbox', JSON.stringify([stored]));
    const sent: { url: string; key: string; replayed: boolean }[] = [];
    const outbox = new Outbox(storage, sender(await fx.tokenOf('Nia North'), sent), () => undefined);
    await outbox.flush();
    expect(sent).toEqual([{ url: `/api/v1/votes/${voteId}/ballots`, key: stored.key, replayed: false }]);
    expect(outbox.pending()).toEqual([]);
    expect(outbox.receipts()).toEqual([expect.objectContaining({ voteId, choice: 'yes', mode: 'roll_call' })]);
    expect(outbox.receipts()[0]!.target).toBeUndefined();
  });

  it("sends an election's ballot to the election; a lost answer is retried with the same key and counted once", async () => {
    const chair = await fx.chairToken();
    const created = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${fx.conferenceId}/elections`,
      headers: { ...bearer(chair), 'idempotency-key': crypto.randomUUID() },
      payload: { title: 'Treasurer', seats: 1, method: 'approval', mode: 'secret', candidates: [{ name: 'Ola' }] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const election = created.json<{ id: string; candidates: { id: string }[] }>();
    const opened = await t.app.inject({
      method: 'POST',
      url: `/api/v1/elections/${election.id}/open`,
      headers: { ...bearer(chair), 'idempotency-key': crypto.randomUUID() },
      payload: {},
    });
    expect(opened.statusCode, opened.body).toBe(200);

    const storage = new MemoryStorage();
    const sent: { url: string; key: string; replayed: boolean }[] = [];
    let changes = 0;
    const outbox = new Outbox(storage, sender(await fx.tokenOf('Nia North'), sent, 1), () => changes++);
    outbox.add([
      {
        target: 'election',
        voteId: election.id,
        seatId: fx.delegate('Nia North').id,
        body: { approve: [election.candidates[0]!.id] },
        voteTitle: 'Treasurer',
        seatLabel: 'My vote',
        mode: 'secret',
      },
    ]);
    // Stored before the request went out, and kept while no answer came.
    expect(JSON.parse(storage.getItem('plenary.outbox')!)).toHaveLength(1);
    await expect.poll(() => outbox.receipts().length, { timeout: 5000 }).toBe(1);
    expect(sent.map((s) => s.url)).toEqual([
      `/api/v1/elections/${election.id}/ballots`,
      `/api/v1/elections/${election.id}/ballots`,
    ]);
    expect(new Set(sent.map((s) => s.key)).size).toBe(1);
    expect(sent.map((s) => s.replayed)).toEqual([false, true]);
    expect(outbox.pending()).toEqual([]);
    expect(outbox.receipts()[0]).toMatchObject({ target: 'election', voteId: election.id, round: 1, choice: null });
    expect(changes).toBeGreaterThan(0);
    const detail = await t.app.inject({ url: `/api/v1/elections/${election.id}` });
    expect(detail.json<{ ballotsCounted: number }>().ballotsCounted).toBe(1);
  });
});
