/**
 * The floor run as real procedures through the API, each with its expected sequence of
 * speakers: a Greens debate whose women's list runs dry and the assembly votes to go on;
 * an SPD zip that ends after the next man; a motion to close the debate with an
 * objection, a two-thirds vote that passes and the list closed as its effect. Then the
 * clock, overrides, privacy, races and the reports.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, onPostgres, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { call as callAs, ok as expectStatus } from '../support/api.js';

let t: TestApp;
let f: ConferenceFixture;
let chair: string;
let admin: string;

const WOMEN = ['Wanda', 'Wilma', 'Winnie', 'Wren'];
const MEN = ['Mark', 'Milo', 'Max', 'Moss', 'Mats'];

type List = {
  listId: string | null;
  state: string;
  hold: { reason: string; group: string | null } | null;
  current: { requestId: string; delegateName: string | null; elapsedMs: number; remainingMs: number | null } | null;
  queue: { requestId: string; delegateId: string | null; delegateName: string | null; status: string; kind: string }[];
  done: { delegateName: string | null; spokenMs: number; kind: string; overridden: boolean; waived: boolean }[];
};

const call = (method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}) =>
  callAs(t, method, url, token, body, headers);
const ok = async <T = Record<string, unknown>>(
  method: string,
  url: string,
  token?: string,
  body?: unknown,
  status = 200,
) => expectStatus<T>(await call(method, url, token, body), status);
function expectRefusal(res: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.json<{ code: string }>().code).toBe(code);
}
async function refused(
  method: string,
  url: string,
  token: string | undefined,
  body: unknown,
  status: number,
  code: string,
) {
  expectRefusal(await call(method, url, token, body), status, code);
}

const id = (name: string) => f.delegate(name).id;
async function item(title: string, ruleSet?: string): Promise<string> {
  const it0 = await ok<{ id: string }>('POST', `/api/v1/conferences/${f.conferenceId}/agenda`, chair, { title }, 201);
  if (ruleSet) await ok('PATCH', `/api/v1/agenda-items/${it0.id}/speakers`, chair, { ruleSet });
  return it0.id;
}
const ask = (itemId: string, name: string, kind = 'contribution') =>
  ok<{ requestId: string }>(
    'POST',
    `/api/v1/agenda-items/${itemId}/speakers/requests`,
    chair,
    { delegateId: id(name), kind },
    201,
  );
/** A delegate's request to speak for or against the pending motion, from their phone. */
const onMotion = async (itemId: string, name: string, kind: 'for' | 'against') =>
  call('POST', `/api/v1/agenda-items/${itemId}/speakers/requests`, await f.tokenOf(name), { kind, onMotion: true });
const list = (itemId: string, token?: string) => ok<List>('GET', `/api/v1/agenda-items/${itemId}/speakers`, token);

/** Starts and stops speakers while the list lets the chair; the names in the order they spoke, and the refusal. */
async function runFloor(itemId: string, max = 20): Promise<{ spoke: string[]; stoppedBy: string }> {
  const spoke: string[] = [];
  for (let i = 0; i < max; i++) {
    const res = await call('POST', `/api/v1/agenda-items/${itemId}/speakers/next`, chair);
    if (res.statusCode !== 200) return { spoke, stoppedBy: res.json<{ code: string }>().code };
    spoke.push(res.json<List>().current!.delegateName!);
    await ok('POST', `/api/v1/agenda-items/${itemId}/speakers/stop`, chair);
  }
  return { spoke, stoppedBy: 'max' };
}

async function castAll(voteId: string, yes: string[], no: string[]) {
  for (const [names, choice] of [
    [yes, 'yes'],
    [no, 'no'],
  ] as const) {
    for (const n of names) {
      const res = await call(
        'POST',
        `/api/v1/votes/${voteId}/ballots`,
        await f.tokenOf(n),
        { choice },
        { 'idempotency-key': randomUUID() },
      );
      expect(res.statusCode, res.body).toBe(201);
    }
  }
}

async function events(after = 0) {
  const res = await ok<{ items: { seq: number; type: string; actor: string | null; data: Record<string, unknown> }[] }>(
    'GET',
    `/api/v1/conferences/${f.conferenceId}/events?after=${after}&limit=1000`,
    admin,
  );
  return res.items;
}

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [
      { name: 'North', delegates: [...WOMEN.slice(0, 2), ...MEN.slice(0, 3)].map((name) => ({ name })) },
      { name: 'South', delegates: [...WOMEN.slice(2), ...MEN.slice(3)].map((name) => ({ name })) },
    ],
  });
  chair = await f.chairToken();
  admin = await f.adminToken();
  // The desk records each delegate's self-declared group through the delegate route.
  for (const w of WOMEN) await ok('PATCH', `/api/v1/delegates/${id(w)}`, admin, { quotaGroup: 'woman' });
  for (const m of MEN) await ok('PATCH', `/api/v1/delegates/${id(m)}`, admin, { quotaGroup: 'open' });
  await ok('PATCH', `/api/v1/delegates/${id('Max')}`, admin, { firstCongress: true });
});
afterAll(async () => t?.close());

describe('Greens: the women’s list runs dry and the assembly votes to go on', () => {
  it('alternates starting with a woman, holds for the assembly, then continues without the quota', async () => {
    const itemId = await item('Debate on the climate motion', 'greens');
    for (const n of ['Mark', 'Wanda', 'Milo', 'Moss', 'Wilma']) await ask(itemId, n);
    // Max is at his first congress: first within the open list.
    await ask(itemId, 'Max');
    const first = await runFloor(itemId);
    expect(first.spoke).toEqual(['Wanda', 'Max', 'Wilma', 'Mark']);
    expect(first.stoppedBy).toBe('assembly_decision_required');
    const held = await list(itemId);
    expect(held.hold).toEqual({ reason: 'assembly_decision_required', group: 'woman' });

    // The chair puts the continuation to the assembly; an objection means a vote.
    const motion = await ok<{ motionId: string }>(
      'POST',
      `/api/v1/agenda-items/${itemId}/motions`,
      chair,
      { type: 'continue_debate' },
      201,
    );
    const voting = await ok<{ voteId: string; state: string }>(
      'POST',
      `/api/v1/motions/${motion.motionId}/decision`,
      chair,
      { objection: true },
    );
    expect(voting.state).toBe('voting');
    await castAll(voting.voteId, ['Wanda', 'Wilma', 'Winnie', 'Mark'], ['Milo']);
    await ok('POST', `/api/v1/votes/${voting.voteId}/close`, chair);
    const settled = await ok<{ state: string; effect: Record<string, unknown> }>(
      'POST',
      `/api/v1/motions/${motion.motionId}/settle`,
      chair,
    );
    expect(settled.state).toBe('adopted');
    expect(settled.effect).toMatchObject({ quotaWaived: true });

    // The open list goes on; a woman who asks now gets the next turn.
    await ok('POST', `/api/v1/agenda-items/${itemId}/speakers/next`, chair);
    await ask(itemId, 'Winnie');
    await ok('POST', `/api/v1/agenda-items/${itemId}/speakers/stop`, chair);
    const rest = await runFloor(itemId);
    const done = (await list(itemId)).done.map((d) => d.delegateName);
    expect(done).toEqual(['Wanda', 'Max', 'Wilma', 'Mark', 'Milo', 'Winnie', 'Moss']);
    expect(rest.stoppedBy).toBe('speakers_list_empty');
    expect((await list(itemId)).done.map((d) => d.waived)).toEqual([false, false, false, false, true, false, false]);
  });
});

describe('SPD: zip by gender, ending after the next man', () => {
  it('closes the list when the last man begins and refuses anyone after him', async () => {
    const itemId = await item('Debate on the party programme', 'spd_zip');
    for (const n of ['Wanda', 'Mark', 'Milo', 'Moss']) await ask(itemId, n);
    const run = await runFloor(itemId);
    expect(run.spoke).toEqual(['Wanda', 'Mark', 'Milo']);
    expect(run.stoppedBy).toBe('speakers_list_ended');
    const l = await list(itemId);
    expect(l.state).toBe('closed');
    expect(l.queue.map((q) => [q.delegateName, q.status])).toEqual([['Moss', 'held']]);
    await refused(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      chair,
      { delegateId: id('Wilma'), kind: 'contribution' },
      409,
      'speakers_list_closed',
    );
    const closed = (await events()).filter((e) => e.type === 'speakers.list_closed' && e.data.itemId === itemId);
    expect(closed.map((e) => e.data.reason)).toEqual(['quota_exhausted']);
  });
});

describe('a motion to close the debate: objection, a two-thirds vote, the list closed', () => {
  it('takes the motion after the current speech, one for and one against, then the vote and its effect', async () => {
    const itemId = await item('Debate on the budget');
    const seq0 = (await events()).at(-1)!.seq;
    for (const n of ['Mark', 'Milo', 'Wanda']) await ask(itemId, n);
    await ok('POST', `/api/v1/agenda-items/${itemId}/speakers/next`, chair);
    // Moss moves the closure from his phone while Mark speaks.
    const moss = await f.tokenOf('Moss');
    const motion = await ok<{ motionId: string }>(
      'POST',
      `/api/v1/agenda-items/${itemId}/motions`,
      moss,
      { type: 'close_debate' },
      201,
    );
    await expectStatus(await onMotion(itemId, 'Wren', 'for'), 201);
    await expectStatus(await onMotion(itemId, 'Mats', 'against'), 201);
    expectRefusal(await onMotion(itemId, 'Winnie', 'against'), 409, 'motion_speech_taken');
    await ok('POST', `/api/v1/agenda-items/${itemId}/speakers/stop`, chair);
    const run = await runFloor(itemId);
    expect(run.spoke).toEqual(['Moss', 'Wren', 'Mats']);
    expect(run.stoppedBy).toBe('motion_pending');

    const voting = await ok<{ voteId: string; majority: unknown }>(
      'POST',
      `/api/v1/motions/${motion.motionId}/decision`,
      chair,
      { objection: true },
    );
    expect(voting.majority).toEqual({ rule: 'two_thirds', base: 'yes_no' });
    const vote = await ok<{ subject: { type: string; id: string }; state: string }>(
      'GET',
      `/api/v1/votes/${voting.voteId}`,
      chair,
    );
    expect(vote.subject).toEqual({ type: 'motion', id: motion.motionId });
    expect(vote.state).toBe('open');
    await refused('POST', `/api/v1/motions/${motion.motionId}/settle`, chair, undefined, 409, 'motion_vote_not_closed');
    // 5 yes of 7 cast: two-thirds reached (5 x 3 >= 7 x 2).
    await castAll(voting.voteId, ['Wanda', 'Wilma', 'Winnie', 'Moss', 'Max'], ['Milo', 'Mats']);
    await ok('POST', `/api/v1/votes/${voting.voteId}/close`, chair);
    const settled = await ok<{ state: string; voteId: string; effect: Record<string, unknown> }>(
      'POST',
      `/api/v1/motions/${motion.motionId}/settle`,
      chair,
    );
    expect(settled).toMatchObject({
      state: 'adopted',
      voteId: voting.voteId,
      effect: { listState: 'closed', debateClosed: true, heldRequests: 2 },
    });
    // Settling again changes nothing.
    expect(await ok('POST', `/api/v1/motions/${motion.motionId}/settle`, chair)).toEqual(settled);

    const l = await list(itemId);
    expect(l.state).toBe('closed');
    expect(l.hold?.reason).toBe('debate_closed');
    expect(l.queue.map((q) => [q.delegateName, q.status])).toEqual([
      ['Milo', 'held'],
      ['Wanda', 'held'],
    ]);
    await refused('POST', `/api/v1/agenda-items/${itemId}/speakers/next`, chair, undefined, 409, 'speakers_list_ended');
    await refused(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      chair,
      { delegateId: id('Wilma'), kind: 'contribution' },
      409,
      'speakers_list_closed',
    );
    // A point of order can still be raised and heard.
    await ask(itemId, 'Wilma', 'point_of_order');
    expect((await runFloor(itemId)).spoke).toEqual(['Wilma']);

    // The record, as recorded: motion, vote and effect linked by their ids.
    const log = (await events(seq0)).filter((e) => e.data.itemId === itemId || e.data.voteId === voting.voteId);
    const sequence = log.map((e) => {
      const d = e.data;
      const who = (d.delegateId as string | undefined) && f.delegates.find((x) => x.id === d.delegateId)?.name;
      const extra = e.type.startsWith('motion.')
        ? ` motion=${String(d.motionId).slice(0, 8)}${d.voteId ? ` vote=${String(d.voteId).slice(0, 8)}` : ''}`
        : '';
      return `${e.seq} ${e.type}${who ? ` ${who}` : ''}${d.kind ? ` (${String(d.kind)})` : ''}${d.outcome ? ` ${String(d.outcome)}` : ''}${extra}`;
    });
    console.log(`close-the-debate scenario, events as recorded:\n${sequence.join('\n')}`);
    expect(log.map((e) => e.type)).toEqual([
      'speakers.list_created',
      'speakers.requested',
      'speakers.requested',
      'speakers.requested',
      'speakers.started',
      'motion.moved',
      'speakers.requested',
      'speakers.requested',
      'speakers.ended',
      'speakers.started',
      'speakers.ended',
      'speakers.started',
      'speakers.ended',
      'speakers.started',
      'speakers.ended',
      'vote.created',
      'vote.opened',
      'motion.vote_opened',
      'vote.closed',
      'motion.decided',
      'motion.effect_applied',
      'speakers.requested',
      'speakers.started',
      'speakers.ended',
    ]);
    const decided = log.find((e) => e.type === 'motion.decided')!;
    expect(decided.data).toMatchObject({
      motionId: motion.motionId,
      voteId: voting.voteId,
      outcome: 'adopted',
      decidedBy: 'vote',
    });
    expect(log.find((e) => e.type === 'motion.effect_applied')!.data).toMatchObject({
      motionId: motion.motionId,
      voteId: voting.voteId,
    });
  });

  it('without an objection the motion passes at once and its effect applies', async () => {
    const itemId = await item('Debate on the statutes');
    await ask(itemId, 'Mark');
    const m = await ok<{ motionId: string }>(
      'POST',
      `/api/v1/agenda-items/${itemId}/motions`,
      chair,
      { type: 'limit_speaking_time', params: { limitMs: 60_000 } },
      201,
    );
    await refused(
      'POST',
      `/api/v1/agenda-items/${itemId}/motions`,
      chair,
      { type: 'close_list' },
      409,
      'motion_pending',
    );
    const done = await ok<{ state: string; decidedBy: string; voteId: string | null }>(
      'POST',
      `/api/v1/motions/${m.motionId}/decision`,
      chair,
      { objection: false },
    );
    expect(done).toMatchObject({ state: 'adopted', decidedBy: 'no_objection', voteId: null });
    await refused(
      'POST',
      `/api/v1/motions/${m.motionId}/decision`,
      chair,
      { objection: true },
      409,
      'motion_not_pending',
    );
    const started = await ok<List & { current: { limitMs: number } }>(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/next`,
      chair,
    );
    expect(started.current.limitMs).toBe(60_000);
  });
});

describe('the clock, budgets and overrides', () => {
  it('keeps time in integer ms from the server clock, less the pauses, and records the overrun', async () => {
    const itemId = await item('Timed debate');
    await ok('PATCH', `/api/v1/agenda-items/${itemId}/speakers`, chair, { delegationBudgetMs: 300_000 });
    await ask(itemId, 'Mark');
    const real = t.ctx.clock;
    const base = Date.now();
    let offset = 0;
    t.ctx.clock = () => new Date(base + offset);
    try {
      await ok('POST', `/api/v1/agenda-items/${itemId}/speakers/next`, chair);
      offset = 100_000;
      await ok('POST', `/api/v1/agenda-items/${itemId}/speakers/pause`, chair);
      await refused(
        'POST',
        `/api/v1/agenda-items/${itemId}/speakers/pause`,
        chair,
        undefined,
        409,
        'speech_already_paused',
      );
      offset = 160_000;
      const paused = await list(itemId);
      expect(paused.current!.elapsedMs).toBe(100_000);
      await ok('POST', `/api/v1/agenda-items/${itemId}/speakers/resume`, chair);
      offset = 260_000;
      const l = await list(itemId);
      expect(l.current!.elapsedMs).toBe(200_000);
      expect(l.current!.remainingMs).toBe(-20_000);
      await ok('POST', `/api/v1/agenda-items/${itemId}/speakers/stop`, chair);
    } finally {
      t.ctx.clock = real;
    }
    expect((await list(itemId)).done[0]!.spokenMs).toBe(200_000);
    const ended = (await events()).filter((e) => e.type === 'speakers.ended' && e.data.itemId === itemId)[0]!;
    // North holds 5 of the 9 votes: 5/9 of 300,000 ms is 166,666.7, and the spare millisecond
    // goes to the largest remainder (North's 6/9 over South's 3/9).
    expect(ended.data).toMatchObject({
      spokenMs: 200_000,
      limitMs: 180_000,
      overrunMs: 20_000,
      delegationBudget: { budgetMs: 166_667, spentMs: 200_000, overrunMs: 33_333 },
    });
  });

  it('an override moves one request with the chair’s reason and never reorders the others', async () => {
    const itemId = await item('Override debate');
    for (const n of ['Mark', 'Milo', 'Moss', 'Mats']) await ask(itemId, n);
    const before = (await list(itemId)).queue.map((q) => q.delegateName);
    const mats = (await list(itemId)).queue.find((q) => q.delegateName === 'Mats')!;
    await refused(
      'POST',
      `/api/v1/speaker-requests/${mats.requestId}/override`,
      chair,
      { reason: 'no place given' },
      400,
      'validation_failed',
    );
    await ok('POST', `/api/v1/speaker-requests/${mats.requestId}/override`, chair, {
      position: 2,
      reason: 'rapporteur of the committee',
    });
    const after = (await list(itemId)).queue.map((q) => q.delegateName);
    expect(after).toEqual(['Mark', 'Mats', 'Milo', 'Moss']);
    expect(after.filter((n) => n !== 'Mats')).toEqual(before.filter((n) => n !== 'Mats'));
    const ev = (await events()).filter((e) => e.type === 'speakers.overridden' && e.data.itemId === itemId)[0]!;
    expect(ev.actor).toBeTruthy();
    expect(ev.data).toMatchObject({
      requestId: mats.requestId,
      reason: 'rapporteur of the committee',
      from: 4,
      position: 2,
    });
    // "Now" with a free floor starts the speaker at once.
    const moss = (await list(itemId)).queue.find((q) => q.delegateName === 'Moss')!;
    const now = await ok<List>('POST', `/api/v1/speaker-requests/${moss.requestId}/override`, chair, {
      now: true,
      reason: 'point of personal privilege',
    });
    expect(now.current!.delegateName).toBe('Moss');
    expect(now.queue.map((q) => q.delegateName)).toEqual(['Mark', 'Mats', 'Milo']);
  });
});

describe('requests: duplicates, withdrawals, privacy, refusals', () => {
  it('refuses a duplicate of the same kind and lets a withdrawn request go for good', async () => {
    const itemId = await item('Requests');
    const wanda = await f.tokenOf('Wanda');
    const r = await ok<{ requestId: string }>(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      wanda,
      { kind: 'contribution' },
      201,
    );
    await refused(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      wanda,
      { kind: 'contribution' },
      409,
      'speaker_request_duplicate',
    );
    await ok(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      wanda,
      { kind: 'point_of_order', category: 'procedure' },
      201,
    );
    await refused(
      'POST',
      `/api/v1/speaker-requests/${r.requestId}/withdraw`,
      await f.tokenOf('Mark'),
      undefined,
      403,
      'not_your_request',
    );
    await ok('POST', `/api/v1/speaker-requests/${r.requestId}/withdraw`, wanda);
    await refused(
      'POST',
      `/api/v1/speaker-requests/${r.requestId}/withdraw`,
      wanda,
      undefined,
      409,
      'speaker_request_not_waiting',
    );
    const l = await list(itemId);
    expect(l.queue.map((q) => q.kind)).toEqual(['point_of_order']);
    await refused(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      wanda,
      { kind: 'contribution', delegateId: id('Mark') },
      403,
      'not_your_seat',
    );
    await refused(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      wanda,
      { kind: 'question' },
      409,
      'no_current_speaker',
    );
    await refused(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      wanda,
      { kind: 'procedural_motion' },
      400,
      'validation_failed',
    );
    await refused(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      wanda,
      { kind: 'contribution', extra: 1 },
      400,
      'validation_failed',
    );
    await refused(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      wanda,
      { kind: 'point_of_order', category: 'whim' },
      422,
      'point_of_order_category_unknown',
    );
    await refused(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      wanda,
      { kind: 'contribution', private: true },
      422,
      'private_requests_not_allowed',
    );
    await refused(
      'PATCH',
      `/api/v1/agenda-items/${itemId}/speakers`,
      chair,
      { ruleSet: 'nonesuch' },
      422,
      'rule_set_unknown',
    );
    await refused('POST', `/api/v1/agenda-items/${itemId}/speakers/stop`, chair, undefined, 409, 'no_current_speaker');
    await refused(
      'GET',
      `/api/v1/agenda-items/${randomUUID()}/speakers`,
      undefined,
      undefined,
      404,
      'agenda_item_not_found',
    );
    await refused(
      'PATCH',
      `/api/v1/delegates/${id('Wanda')}`,
      admin,
      { quotaGroup: 'martian' },
      422,
      'quota_group_unknown',
    );
  });

  it('a phone retrying with its Idempotency-Key gets its request back; a question lapses with the speech', async () => {
    const itemId = await item('Retries');
    const url = `/api/v1/agenda-items/${itemId}/speakers/requests`;
    const milo = await f.tokenOf('Milo');
    const key = { 'idempotency-key': randomUUID() };
    const first = await call('POST', url, milo, { kind: 'contribution' }, key);
    const retry = await call('POST', url, milo, { kind: 'contribution' }, key);
    expect([first.statusCode, retry.statusCode]).toEqual([201, 201]);
    expect(retry.json<{ requestId: string }>().requestId).toBe(first.json<{ requestId: string }>().requestId);
    const other = await call('POST', url, milo, { kind: 'reply' }, key);
    expect(other.json<{ code: string }>().code).toBe('idempotency_key_reused');
    expect((await list(itemId)).queue).toHaveLength(1);

    await ok('POST', `/api/v1/agenda-items/${itemId}/speakers/next`, chair);
    await ok('POST', url, await f.tokenOf('Wren'), { kind: 'question' }, 201);
    expect((await list(itemId)).queue.map((q) => q.kind)).toEqual(['question']);
    await ok('POST', `/api/v1/agenda-items/${itemId}/speakers/stop`, chair);
    expect((await list(itemId)).queue).toEqual([]);
  });

  it('hides the names of speakers who asked for it from observers, where the conference allows it', async () => {
    const settings = await ok<Record<string, unknown>>('GET', `/api/v1/conferences/${f.conferenceId}/floor-settings`);
    await ok('PUT', `/api/v1/conferences/${f.conferenceId}/floor-settings`, chair, {
      ...settings,
      allowPrivateRequests: true,
    });
    const itemId = await item('Private requests');
    await ok(
      'POST',
      `/api/v1/agenda-items/${itemId}/speakers/requests`,
      await f.tokenOf('Wilma'),
      { kind: 'contribution', private: true },
      201,
    );
    await ask(itemId, 'Mark');
    const observer = await list(itemId);
    expect(observer.queue.map((q) => [q.delegateId, q.delegateName])).toEqual([
      [null, null],
      [id('Mark'), 'Mark'],
    ]);
    expect((await list(itemId, chair)).queue[0]!.delegateName).toBe('Wilma');
    expect((await list(itemId, await f.tokenOf('Wilma'))).queue[0]!.delegateName).toBe('Wilma');
    expect((await list(itemId, await f.tokenOf('Mark'))).queue[0]!.delegateName).toBeNull();
    await ok('PUT', `/api/v1/conferences/${f.conferenceId}/floor-settings`, chair, settings);
  });
});

describe('races', () => {
  it('two chairs pressing next at once start one speaker', async () => {
    const itemId = await item('Race to next');
    for (const n of ['Mark', 'Milo']) await ask(itemId, n);
    const [a, b] = await Promise.all([
      call('POST', `/api/v1/agenda-items/${itemId}/speakers/next`, chair),
      call('POST', `/api/v1/agenda-items/${itemId}/speakers/next`, admin),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    expect([a, b].find((r) => r.statusCode === 409)!.json<{ code: string }>().code).toBe('speaker_active');
    const l = await list(itemId);
    expect(l.current!.delegateName).toBe('Mark');
    expect(l.queue.map((q) => q.delegateName)).toEqual(['Milo']);
  });

  it('a request racing the closing either makes it or gets speakers_list_closed', async () => {
    for (let round = 0; round < (onPostgres() ? 6 : 2); round++) {
      const itemId = await item(`Race to close ${round}`);
      const [req, close] = await Promise.all([
        call('POST', `/api/v1/agenda-items/${itemId}/speakers/requests`, await f.tokenOf('Milo'), {
          kind: 'contribution',
        }),
        call('PATCH', `/api/v1/agenda-items/${itemId}/speakers`, chair, { state: 'closed' }),
      ]);
      expect(close.statusCode, close.body).toBe(200);
      const l = await list(itemId);
      if (req.statusCode === 201) expect(l.queue.map((q) => q.delegateName)).toEqual(['Milo']);
      else {
        expect(req.statusCode).toBe(409);
        expect(req.json<{ code: string }>().code).toBe('speakers_list_closed');
        expect(l.queue).toEqual([]);
      }
    }
  });
});

describe('reports', () => {
  it('gives speeches and time by quota group, delegation and kind, as JSON and CSV', async () => {
    const itemId = await item('Reported debate');
    for (const n of ['Wanda', 'Mark']) await ask(itemId, n);
    await runFloor(itemId);
    const r = await ok<{
      speeches: number;
      byQuotaGroup: { key: string; speeches: number }[];
      byDelegation: { key: string; speeches: number }[];
      byKind: { key: string; speeches: number }[];
    }>('GET', `/api/v1/agenda-items/${itemId}/speakers/report`);
    expect(r.speeches).toBe(2);
    expect(r.byQuotaGroup.map((b) => [b.key, b.speeches])).toEqual([
      ['open', 1],
      ['woman', 1],
    ]);
    expect(r.byDelegation.map((b) => [b.key, b.speeches])).toEqual([['North', 2]]);
    const csv = await call('GET', `/api/v1/agenda-items/${itemId}/speakers/report`, undefined, undefined, {
      accept: 'text/csv',
    });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body.split('\r\n')[0]).toBe('dimension,key,delegationId,speeches,spokenMs');
    expect(csv.body).toContain('quota_group,woman,,1,');
    const all = await ok<{ speeches: number }>('GET', `/api/v1/conferences/${f.conferenceId}/speakers/report`);
    expect(all.speeches).toBeGreaterThan(r.speeches);
  });
});
