/**
 * Live fan-out benchmark (not a test):
 *
 *   node --expose-gc --import tsx bench/live-fanout.ts [--observers 1000,5000] [--rounds 10] [--db pglite|postgres]
 *   node --expose-gc --import tsx bench/live-fanout.ts --observers 200 --rounds 5      # CI size
 *
 * The service runs in this process (one instance, its real app listening on loopback,
 * PGlite in memory or a fresh database on PLENARY_BENCH_PG / DATABASE_URL); the observers
 * are WebSocket clients in a child process, so that their memory is not counted as the
 * server's. Each observer subscribes to the conference and to every vote of the run, as a
 * hall screen would. Per round one vote is closed through the voting service, and we time,
 * from the moment the closing transaction has committed, the arrival of the `vote.closed`
 * control event and of the final tally at every observer (clocks: both processes read
 * performance.timeOrigin + performance.now(), the same wall clock on one machine).
 *
 * Reported per observer count: the time to the LAST observer (p50 and p99 over rounds),
 * the median observer, and the server's memory per connection (heap and RSS, after GC,
 * before and after connecting). Then, as the ceiling of the same run, a bare `ws` server in
 * this process broadcasts the very final-tally frame the hub sent (its bytes, captured by an
 * observer) to as many sockets from the same observer process, serialized once and sent in
 * one loop, the least any server can do; the hub's final tally is reported as a ratio to it.
 *
 * The latest figures are in docs/performance.md. The observers' process runs on the same
 * cores as the service: the times include its share of the CPU; STACK.md's bare `ws`
 * broadcast (200-300 ms to the last of 10,000 on an idle machine) is the floor to compare with.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import pg from 'pg';
import WebSocket, { WebSocketServer } from 'ws';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { start } from '../src/bootstrap.js';
import { buildApp } from '../src/app.js';
import { accounts, conferences, delegates, delegations } from '../src/db/schema.js';
import { generateAccessCode, hashAccessCode } from '../src/auth/access-codes.js';
import { hashPassword } from '../src/auth/passwords.js';
import { closeVote } from '../src/votes/vote-service.js';
import type { ServerMessage } from '../src/live/protocol.js';

const now = () => performance.timeOrigin + performance.now();

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

// ------------------------------------------------------------------ child: the observers

interface ChildStart {
  kind: 'start';
  url: string;
  observers: number;
  topics: string[];
}
interface ChildRound {
  kind: 'round';
  voteId: string;
}
/** Leave the hub, open `observers` sockets to the bare broadcast server. */
interface ChildBareStart {
  kind: 'bare-start';
  url: string;
  observers: number;
}
type ToChild = ChildStart | ChildRound | ChildBareStart | { kind: 'bare-round' } | { kind: 'stop' };
type FromChild =
  | { kind: 'ready'; connected: number; failed: number; ms: number }
  | { kind: 'arrivals'; voteId: string; event: number[]; tally: number[]; missing: number; tallyFrame: string }
  | { kind: 'armed' }
  | { kind: 'bare-arrivals'; at: number[]; missing: number };

async function runChild(): Promise<void> {
  const sockets: WebSocket[] = [];
  // voteId -> per observer arrival times.
  const eventAt = new Map<string, number[]>();
  const tallyAt = new Map<string, number[]>();
  const tallyFrame = new Map<string, string>();
  const send = (m: FromChild) => process.send!(m);
  // The bare broadcast: its sockets, and per round each socket's arrival time.
  const bare: WebSocket[] = [];
  let bareAt: number[] = [];

  process.on('message', (raw: ToChild) => {
    void (async () => {
      if (raw.kind === 'start') {
        const t0 = now();
        let failed = 0;
        const batch = 200;
        for (let i = 0; i < raw.observers; i += batch) {
          const slice = Array.from({ length: Math.min(batch, raw.observers - i) }, (_, k) => i + k);
          await Promise.all(
            slice.map(
              (idx) =>
                new Promise<void>((resolve) => {
                  const ws = new WebSocket(raw.url, { perMessageDeflate: false });
                  sockets[idx] = ws;
                  let gotSnapshot = false;
                  ws.on('message', (data) => {
                    const at = now();
                    const m = JSON.parse(String(data)) as ServerMessage;
                    if (m.type === 'welcome') ws.send(JSON.stringify({ type: 'subscribe', topics: raw.topics }));
                    else if (m.type === 'snapshot' && !gotSnapshot) {
                      gotSnapshot = true;
                      resolve();
                    } else if (m.type === 'event' && m.event === 'vote.closed') {
                      const v = String(m.data['voteId']);
                      (eventAt.get(v) ?? eventAt.set(v, new Array<number>(raw.observers).fill(0)).get(v)!)[idx] = at;
                    } else if (m.type === 'tally' && m.data.final) {
                      const v = m.data.voteId;
                      if (!tallyFrame.has(v)) tallyFrame.set(v, String(data));
                      (tallyAt.get(v) ?? tallyAt.set(v, new Array<number>(raw.observers).fill(0)).get(v)!)[idx] = at;
                    }
                  });
                  ws.on('error', () => {
                    failed++;
                    resolve();
                  });
                }),
            ),
          );
        }
        send({ kind: 'ready', connected: raw.observers - failed, failed, ms: Math.round(now() - t0) });
      } else if (raw.kind === 'round') {
        const deadline = now() + 30_000;
        const complete = () => {
          const e = eventAt.get(raw.voteId);
          const tl = tallyAt.get(raw.voteId);
          return !!e && !!tl && e.every((x) => x > 0) && tl.every((x) => x > 0);
        };
        while (!complete() && now() < deadline) await new Promise((r) => setTimeout(r, 5));
        const e = eventAt.get(raw.voteId) ?? [];
        const tl = tallyAt.get(raw.voteId) ?? [];
        send({
          kind: 'arrivals',
          voteId: raw.voteId,
          event: e.filter((x) => x > 0),
          tally: tl.filter((x) => x > 0),
          missing: sockets.length * 2 - e.filter((x) => x > 0).length - tl.filter((x) => x > 0).length,
          tallyFrame: tallyFrame.get(raw.voteId) ?? '',
        });
      } else if (raw.kind === 'bare-start') {
        for (const ws of sockets) ws?.terminate();
        sockets.length = 0;
        const t0 = now();
        let failed = 0;
        for (let i = 0; i < raw.observers; i += 200) {
          const slice = Array.from({ length: Math.min(200, raw.observers - i) }, (_, k) => i + k);
          await Promise.all(
            slice.map(
              (idx) =>
                new Promise<void>((resolve) => {
                  const ws = new WebSocket(raw.url, { perMessageDeflate: false });
                  bare[idx] = ws;
                  ws.on('open', () => resolve());
                  // Parsed as an observer parses the hub's frames, so that both sides do the same work.
                  ws.on('message', (data) => {
                    const at = now();
                    JSON.parse(String(data));
                    if (bareAt[idx] === 0) bareAt[idx] = at;
                  });
                  ws.on('error', () => {
                    failed++;
                    resolve();
                  });
                }),
            ),
          );
        }
        send({ kind: 'ready', connected: raw.observers - failed, failed, ms: Math.round(now() - t0) });
      } else if (raw.kind === 'bare-round') {
        bareAt = new Array<number>(bare.length).fill(0);
        send({ kind: 'armed' });
        const deadline = now() + 30_000;
        while (!bareAt.every((x) => x > 0) && now() < deadline) await new Promise((r) => setTimeout(r, 5));
        const at = bareAt.filter((x) => x > 0);
        send({ kind: 'bare-arrivals', at, missing: bare.length - at.length });
      } else {
        for (const ws of sockets) ws?.terminate();
        for (const ws of bare) ws?.terminate();
        process.exit(0);
      }
    })();
  });
}

// ------------------------------------------------------------------ parent: the service

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

function memory() {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss };
}

async function openBenchDatabase(kind: string): Promise<{ database: Database; url?: string; drop(): Promise<void> }> {
  if (kind !== 'postgres') return { database: await openDatabase({}), drop: async () => undefined };
  const adminUrl =
    process.env.PLENARY_BENCH_PG ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `plenary_live_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    database: await openDatabase({ databaseUrl: url }),
    url,
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

interface Row {
  observers: number;
  connected: number;
  connectMs: number;
  eventLastP50: number;
  eventLastP99: number;
  tallyLastP50: number;
  tallyLastP99: number;
  medianObserver: number;
  heapPerConn: number;
  rssPerConn: number;
  missing: number;
  /** The bare ws broadcast of the same frame to as many sockets: time to the last, p50 / p99 over rounds. */
  bareLastP50: number;
  bareLastP99: number;
}

async function runParent(): Promise<void> {
  const counts = arg('observers', '1000,5000')
    .split(',')
    .map((s) => Number.parseInt(s, 10))
    .filter((n) => n > 0);
  const rounds = Number.parseInt(arg('rounds', '10'), 10);
  const dbKind = arg('db', 'pglite');
  const db = await openBenchDatabase(dbKind);
  const log = pino({ level: 'warn' });
  const config = {
    ...loadConfig({
      PLENARY_SEED: 'none',
      LOG_LEVEL: 'warn',
      PLENARY_ADMIN_PASSWORD: 'bench-admin-password-1',
      // Every observer connects from 127.0.0.1: lift the per-address and total socket caps.
      LIVE_MAX_SOCKETS_PER_ADDRESS: '100000',
      LIVE_MAX_SOCKETS: '100000',
      MAX_CONNECTIONS: '100000',
    }),
    databaseUrl: db.url,
  };
  const started = await start(config, { log, database: db.database });
  const ctx = started.ctx;
  const app = await buildApp(ctx, { logger: log });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const base = `http://127.0.0.1:${port}`;

  // A public conference, one delegation, a chair.
  const chairPassword = `chair-${randomBytes(6).toString('hex')}`;
  const code = generateAccessCode();
  const { conferenceId } = await ctx.db.transaction(async (tx) => {
    const [c] = await tx.insert(conferences).values({ name: 'Live bench', visibility: 'public' }).returning();
    const [g] = await tx.insert(delegations).values({ conferenceId: c!.id, name: 'Bench', votes: 3 }).returning();
    await tx.insert(delegates).values([
      {
        conferenceId: c!.id,
        delegationId: g!.id,
        name: 'D1',
        role: 'head',
        present: true,
        accessCodeHash: hashAccessCode(code),
        accessCodeIssuedAt: new Date(),
      },
      { conferenceId: c!.id, delegationId: g!.id, name: 'D2', present: true },
    ]);
    await tx.insert(accounts).values({
      username: 'bench-chair',
      passwordHash: await hashPassword(chairPassword),
      role: 'chair',
      conferenceId: c!.id,
    });
    return { conferenceId: c!.id };
  });
  const token = async (body: Record<string, string>) =>
    (await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: body })).json<{ accessToken: string }>()
      .accessToken;
  const chair = await token({ username: 'bench-chair', password: chairPassword });
  const delegate = await token({ accessCode: code });
  const call = async (method: 'POST', url: string, who: string, payload?: object, headers: object = {}) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${who}`, ...headers },
      ...(payload ? { payload } : {}),
    });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json<{ id: string }>();
  };

  const rows: Row[] = [];
  for (const n of counts) {
    // Votes of this pass, open, each with a ballot; observers subscribe to all of them.
    const voteIds: string[] = [];
    for (let r = 0; r < rounds; r++) {
      const v = await call('POST', `/api/v1/conferences/${conferenceId}/votes`, chair, {
        title: `Bench ${n} #${r + 1}`,
        subject: { type: 'motion' },
        mode: 'roll_call',
        resultsVisibility: 'live',
      });
      await call('POST', `/api/v1/votes/${v.id}/open`, chair);
      await call(
        'POST',
        `/api/v1/votes/${v.id}/ballots`,
        delegate,
        { choice: 'yes' },
        { 'idempotency-key': randomUUID() },
      );
      voteIds.push(v.id);
    }
    const topics = [`conference:${conferenceId}`, ...voteIds.map((v) => `vote:${v}`)];

    await new Promise((r) => setTimeout(r, 500));
    const before = memory();
    const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child'], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const inbox: FromChild[] = [];
    const waiters: ((m: FromChild) => void)[] = [];
    child.on('message', (m: FromChild) => {
      const w = waiters.shift();
      if (w) w(m);
      else inbox.push(m);
    });
    const next = () =>
      new Promise<FromChild>((resolve) => {
        const m = inbox.shift();
        if (m) resolve(m);
        else waiters.push(resolve);
      });
    child.send({ kind: 'start', url: `${base.replace('http', 'ws')}/live`, observers: n, topics } satisfies ToChild);
    const ready = await next();
    if (ready.kind !== 'ready') throw new Error('unexpected child message');
    await new Promise((r) => setTimeout(r, 1000));
    const after = memory();
    const conns = Math.max(1, app.liveHub.connectionCount);

    const lastEvent: number[] = [];
    const lastTally: number[] = [];
    const medians: number[] = [];
    let missing = 0;
    let frame = '';
    for (const voteId of voteIds) {
      await closeVote(ctx, voteId, null);
      const committed = now();
      child.send({ kind: 'round', voteId } satisfies ToChild);
      const arrivals = await next();
      if (arrivals.kind !== 'arrivals') throw new Error('unexpected child message');
      missing += arrivals.missing;
      frame ||= arrivals.tallyFrame;
      const ev = arrivals.event.map((t) => t - committed);
      const tl = arrivals.tally.map((t) => t - committed);
      lastEvent.push(Math.max(...ev));
      lastTally.push(Math.max(...tl));
      medians.push(quantile(tl, 0.5));
      await new Promise((r) => setTimeout(r, 300));
    }

    // The ceiling: the same frame, to as many sockets of the same observer process, from a bare ws server.
    const bareHttp = http.createServer();
    const wss = new WebSocketServer({ server: bareHttp, perMessageDeflate: false });
    await new Promise<void>((resolve) => bareHttp.listen(0, '127.0.0.1', resolve));
    const bareAddr = bareHttp.address();
    const barePort = typeof bareAddr === 'object' && bareAddr ? bareAddr.port : 0;
    child.send({ kind: 'bare-start', url: `ws://127.0.0.1:${barePort}`, observers: n } satisfies ToChild);
    const bareReady = await next();
    if (bareReady.kind !== 'ready') throw new Error('unexpected child message');
    await new Promise((r) => setTimeout(r, 1000));
    const bareMessage = Buffer.from(frame);
    const lastBare: number[] = [];
    for (let r = 0; r < rounds; r++) {
      child.send({ kind: 'bare-round' } satisfies ToChild);
      if ((await next()).kind !== 'armed') throw new Error('unexpected child message');
      const sent = now();
      for (const ws of wss.clients) ws.send(bareMessage, { binary: false });
      const arrivals = await next();
      if (arrivals.kind !== 'bare-arrivals') throw new Error('unexpected child message');
      missing += arrivals.missing;
      lastBare.push(Math.max(...arrivals.at.map((t) => t - sent)));
      await new Promise((res) => setTimeout(res, 300));
    }
    child.send({ kind: 'stop' } satisfies ToChild);
    await new Promise((r) => child.once('exit', r));
    for (const ws of wss.clients) ws.terminate();
    await new Promise((r) => wss.close(r));
    await new Promise((r) => bareHttp.close(r));
    await new Promise((r) => setTimeout(r, 1500));

    rows.push({
      observers: n,
      connected: ready.connected,
      connectMs: ready.ms,
      eventLastP50: quantile(lastEvent, 0.5),
      eventLastP99: quantile(lastEvent, 0.99),
      tallyLastP50: quantile(lastTally, 0.5),
      tallyLastP99: quantile(lastTally, 0.99),
      medianObserver: quantile(medians, 0.5),
      heapPerConn: (after.heap - before.heap) / conns,
      rssPerConn: (after.rss - before.rss) / conns,
      missing,
      bareLastP50: quantile(lastBare, 0.5),
      bareLastP99: quantile(lastBare, 0.99),
    });
  }

  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const kb = (x: number) => `${(x / 1024).toFixed(1)} KB`;
  const lines = [
    `Live fan-out on ${db.database.kind}, one instance, ${rounds} rounds per row (times in ms from commit)`,
    '',
    '| observers | connected (s) | vote.closed to last p50 / p99 | final tally to last p50 / p99 | bare ws broadcast to last p50 / p99 | final tally x bare (p50 / p99) | median observer | server heap / conn | server RSS / conn | missed |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.observers} | ${r.connected} (${(r.connectMs / 1000).toFixed(1)}) | ${f(r.eventLastP50)} / ${f(r.eventLastP99)} | ` +
        `${f(r.tallyLastP50)} / ${f(r.tallyLastP99)} | ${f(r.bareLastP50)} / ${f(r.bareLastP99)} | ` +
        `${(r.tallyLastP50 / r.bareLastP50).toFixed(2)} / ${(r.tallyLastP99 / r.bareLastP99).toFixed(2)} | ` +
        `${f(r.medianObserver)} | ${kb(r.heapPerConn)} | ${kb(r.rssPerConn)} | ${r.missing} |`,
    ),
    '',
    'Target: final tally to the last of 10,000 observers <= 1.2 x the bare ws broadcast of the same frame to the same number of sockets.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await app.close();
  await ctx.database.close();
  await db.drop();
  const failed = rows.some((r) => r.missing > 0 || r.connected < r.observers);
  process.exit(failed ? 1 : 0);
}

if (process.argv.includes('--child')) {
  void runChild();
} else {
  runParent().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
