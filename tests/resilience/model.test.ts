/**
 * Model-based interleavings (fast-check commands): open, cast (own seat or as proxy), give
 * or revoke a proxy, check in or out, close, and an observer's reconnect, in random orders
 * with random arguments. After every command the service is compared with a model of a few
 * lines (presence, proxies, the electorate frozen at open, one ballot per seat, the result
 * at close); at the end of each run the observer's event stream, across its reconnects, is
 * gap-free and reaches the database's last event.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { LiveClient } from '../support/ws-client.js';
import {
  call,
  createDatabase,
  figure,
  hasDatabase,
  inProcessService,
  sized,
  withClient,
  type InProcess,
  type TestDatabase,
} from './support/harness.js';
import { cast, closeVote, openMotion, type Result } from './support/plenary.js';

const RUNS = sized(20, 200);
const NAMES = ['A', 'B', 'C', 'D'] as const;
type Name = (typeof NAMES)[number];
type Choice = 'yes' | 'no' | 'abstain';

interface Model {
  present: Record<Name, boolean>;
  proxy: Record<Name, Name | null>;
  vote: null | {
    state: 'open' | 'closed';
    castable: Record<Name, Name | null>;
    ballots: Partial<Record<Name, Choice>>;
    result?: Result;
  };
}

interface Real {
  base: string;
  f: ConferenceFixture;
  tokens: Record<Name, string>;
  chair: string;
  voteId: string | null;
  observer: LiveClient;
  seqs: number[];
  topic: string;
}

let db: TestDatabase;
let svc: InProcess;
const stats = { runs: 0, commands: 0, byCommand: {} as Record<string, number> };
const clients: LiveClient[] = [];

const id = (r: Real, n: Name) => r.f.delegate(n).id;
const nameOf = (r: Real, delegateId: string | null): Name | null =>
  delegateId === null ? null : (NAMES.find((n) => id(r, n) === delegateId) ?? null);

function count(name: string) {
  stats.commands++;
  stats.byCommand[name] = (stats.byCommand[name] ?? 0) + 1;
}

async function compare(m: Model, r: Real): Promise<void> {
  const g = r.f.delegation('M');
  const list = await call<{ items: { id: string; present: boolean; proxyToId: string | null }[] }>(
    r.base,
    'GET',
    `/api/v1/delegations/${g.id}/delegates?limit=100`,
    { token: r.chair },
  );
  expect(list.status).toBe(200);
  for (const d of list.body.items) {
    const n = nameOf(r, d.id)!;
    expect({ n, present: d.present, proxy: nameOf(r, d.proxyToId) }).toEqual({
      n,
      present: m.present[n],
      proxy: m.proxy[n],
    });
  }
  if (m.vote && r.voteId) {
    const v = await call<{ state: string; tally: { voters: number; totals: Record<string, number> | null } }>(
      r.base,
      'GET',
      `/api/v1/votes/${r.voteId}`,
      { token: r.chair },
    );
    const want = { yes: 0, no: 0, abstain: 0 };
    for (const c of Object.values(m.vote.ballots)) want[c!]++;
    expect(v.body.state).toBe(m.vote.state);
    expect(v.body.tally.voters).toBe(Object.keys(m.vote.ballots).length);
    expect(v.body.tally.totals).toMatchObject(want);
  }
}

class Open implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => !m.vote || m.vote.state === 'closed';
  async run(m: Model, r: Real) {
    count('open');
    r.voteId = await openMotion(r.base, r.chair, r.f.conferenceId);
    m.vote = { state: 'open', castable: { ...m.proxy }, ballots: {} };
    await compare(m, r);
  }
  toString = () => 'open';
}

class Cast implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly voter: Name,
    readonly seat: Name,
    readonly choice: Choice,
  ) {}
  check = (m: Readonly<Model>) => m.vote !== null;
  async run(m: Model, r: Real) {
    count('cast');
    const body =
      this.seat === this.voter ? { choice: this.choice } : { choice: this.choice, onBehalfOf: id(r, this.seat) };
    const res = await cast(r.base, r.tokens[this.voter], r.voteId!, body);
    const v = m.vote!;
    let want: [number, string | undefined];
    if (v.state !== 'open') want = [409, 'vote_not_open'];
    else if (this.seat !== this.voter && v.castable[this.seat] !== this.voter) want = [403, 'not_entitled'];
    else if (v.ballots[this.seat]) want = [409, 'already_voted'];
    else want = [201, undefined];
    expect([res.status, res.body.code]).toEqual(want);
    if (want[0] === 201) v.ballots[this.seat] = this.choice;
    await compare(m, r);
  }
  toString = () => `cast(${this.voter} for ${this.seat}: ${this.choice})`;
}

class Proxy implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly giver: Name,
    readonly to: Name | null,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    count('proxy');
    const res = await call<{ code?: string }>(r.base, 'PUT', `/api/v1/delegates/${id(r, this.giver)}/proxy`, {
      token: r.tokens[this.giver],
      body: { toDelegateId: this.to === null ? null : id(r, this.to) },
    });
    let want: [number, string | undefined];
    if (this.to === this.giver) want = [422, 'proxy_to_self'];
    else if (m.proxy[this.giver] === this.to) want = [200, undefined];
    else if (this.to !== null && !m.present[this.to]) want = [409, 'proxy_holder_absent'];
    else if (this.to !== null && m.proxy[this.to] !== null) want = [409, 'proxy_chain'];
    else if (this.to !== null && NAMES.some((k) => m.proxy[k] === this.giver)) want = [409, 'proxy_chain'];
    else want = [200, undefined];
    expect([res.status, res.body.code]).toEqual(want);
    if (want[0] === 200) m.proxy[this.giver] = this.to;
    await compare(m, r);
  }
  toString = () => `proxy(${this.giver} -> ${this.to})`;
}

class CheckIn implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly who: Name,
    readonly present: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    count('checkIn');
    const res = await call(r.base, 'PUT', `/api/v1/delegates/${id(r, this.who)}/presence`, {
      token: r.chair,
      body: { present: this.present },
    });
    expect(res.status).toBe(200);
    m.present[this.who] = this.present;
    // Checking out a proxy holder revokes the proxies they held.
    if (!this.present) for (const k of NAMES) if (m.proxy[k] === this.who) m.proxy[k] = null;
    await compare(m, r);
  }
  toString = () => `checkIn(${this.who}, ${this.present})`;
}

class Close implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.vote !== null;
  async run(m: Model, r: Real) {
    count('close');
    const res = await closeVote(r.base, r.chair, r.voteId!);
    expect(res.status).toBe(200);
    const v = m.vote!;
    const want = { yes: 0, no: 0, abstain: 0 };
    for (const c of Object.values(v.ballots)) want[c!]++;
    expect(res.body.totals).toMatchObject(want);
    expect(res.body.ballotCount).toBe(Object.keys(v.ballots).length);
    if (v.result) {
      expect(res.body.merkleRoot).toBe(v.result.merkleRoot);
      expect(res.body.closedAt).toBe(v.result.closedAt);
    }
    v.state = 'closed';
    v.result = res.body;
    await compare(m, r);
  }
  toString = () => 'close';
}

class Reconnect implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_m: Model, r: Real) {
    count('reconnect');
    collect(r);
    r.observer.ws.terminate();
    r.observer = await LiveClient.connect(r.base);
    clients.push(r.observer);
    r.observer.subscribe([r.topic], { [r.topic]: r.seqs.at(-1) ?? 0 });
  }
  toString = () => 'reconnect';
}

/** Moves what the current connection received into the run's stream (once). */
function collect(r: Real) {
  for (const msg of r.observer.messages) {
    if ((msg.type === 'event' || msg.type === 'snapshot') && msg.topic === r.topic && msg.seq > (r.seqs.at(-1) ?? 0)) {
      r.seqs.push(msg.seq);
    }
  }
  r.observer.messages.length = 0;
}

const name = fc.constantFrom(...NAMES);
const castArb = fc
  .tuple(name, name, fc.constantFrom<Choice>('yes', 'no', 'abstain'))
  .map(([v, s, c]) => new Cast(v, s, c));
const commands = [
  fc.constant(new Open()),
  castArb,
  castArb,
  castArb,
  fc.tuple(name, fc.option(name, { nil: null })).map(([g, t]) => new Proxy(g, t)),
  fc.tuple(name, fc.boolean()).map(([w, p]) => new CheckIn(w, p)),
  fc.constant(new Close()),
  fc.constant(new Reconnect()),
];

describe.runIf(hasDatabase)('model-based interleavings', () => {
  beforeAll(async () => {
    db = await createDatabase();
    svc = await inProcessService(db.url);
    await svc.listen();
  });

  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await svc?.close();
    await db?.drop();
  });

  it(`${RUNS} random runs of open, cast, proxy, check-in, close and reconnect agree with the model`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: sized(25, 40), size: 'medium' }), async (cmds) => {
        stats.runs++;
        const f = await createConferenceFixture(svc, {
          delegations: [
            { name: 'M', delegates: NAMES.map((n, i) => ({ name: n, role: i === 0 ? 'head' : 'delegate' })) },
          ],
        });
        const tokens = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await f.tokenOf(n)]))) as Record<
          Name,
          string
        >;
        const topic = `conference:${f.conferenceId}`;
        const observer = await LiveClient.connect(svc.baseUrl);
        clients.push(observer);
        observer.subscribe([topic]);
        await observer.waitFor((m) => m.type === 'snapshot');
        const real: Real = {
          base: svc.baseUrl,
          f,
          tokens,
          chair: await f.chairToken(),
          voteId: null,
          observer,
          seqs: [],
          topic,
        };
        const model: Model = {
          present: { A: true, B: true, C: true, D: true },
          proxy: { A: null, B: null, C: null, D: null },
          vote: null,
        };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        // The observer, across its reconnects, saw every event up to the database's last one, no gap.
        const head = await withClient(db.url, async (c) => {
          const { rows } = await c.query<{ seq: number | null }>(
            `select max(seq)::int as seq from events where conference_id = $1`,
            [f.conferenceId],
          );
          return rows[0]!.seq ?? 0;
        });
        // (A client that resumed from the head is told nothing more: it already has everything.)
        if ((real.seqs.at(-1) ?? 0) < head) await real.observer.waitForSeq(topic, head, 15_000);
        collect(real);
        for (let i = 1; i < real.seqs.length; i++) expect(real.seqs[i]).toBe(real.seqs[i - 1]! + 1);
        expect(real.seqs.at(-1) ?? 0).toBe(head);
        real.observer.ws.terminate();
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    figure('model.runs', stats.runs);
    figure('model.commands', stats.commands);
    figure('model.byCommand', stats.byCommand);
  });
});
