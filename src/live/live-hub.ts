/**
 * The live hub of one instance: its sockets, what each subscribed to, and the fan-out
 * from the database to them.
 *
 * - Control events are never taken from a notification's payload: a NOTIFY (or the
 *   periodic catch-up, or a reconnect of the listener) only says "look", and the hub
 *   reads the events after the last seq it has from the events table. Every operation on
 *   a conference (reading new events, attaching a subscriber with or without `after`) runs
 *   in that conference's own queue, one after another; so a resuming subscriber gets the
 *   replay and then the live events with no gap and no duplicate, by construction, and
 *   each subscriber also keeps its own last seq as a second guard.
 * - Tallies are loaded at most once per liveTallyIntervalMs per vote (trailing: the
 *   newest is always loaded and sent), once for all subscribers, serialized once.
 * - A socket that lags gets only the newest tally per vote; a socket whose buffer grows
 *   beyond maxBufferedBytes with control events pending is closed (4008) so that it
 *   reconnects and resumes, rather than the service holding megabytes for it.
 */
import type { WebSocket } from 'ws';
import { eq, inArray, sql } from 'drizzle-orm';
import type { AppContext } from '../app-context.js';
import { rowsOf } from '../db/client.js';
import { accounts, conferences, sessions, votes } from '../db/schema.js';
import { canRead } from '../conferences/conference-access.js';
import type { Principal } from '../auth/principal.js';
import { loadConferenceSnapshot } from './conference-snapshot.js';
import { publicEvent } from './event-visibility.js';
import type { LivePrincipal } from './live-tickets.js';
import { createWakeups, type Wakeups } from './pg-listener.js';
import { ElectionFeed } from './election-feed.js';
import {
  CLOSE_CODES,
  LIVE_LIMITS,
  clientMessageSchema,
  parseTopic,
  type ClientMessage,
  type ConferenceSnapshotData,
  type ErrorMessage,
  type EventMessage,
  type LiveErrorCode,
  type ServerMessage,
  type SnapshotMessage,
  type TallyData,
  type TallyMessage,
  type TopicKind,
} from './protocol.js';
import {
  closedTallyFromEvent,
  publicTally,
  tallyOrder,
  type EngineTallySnapshot,
  type TallyLoader,
} from './tally-source.js';

export const EVENTS_CHANNEL = 'plenary_events';
export const TALLIES_CHANNEL = 'plenary_tallies';

export interface LiveHubOptions {
  loadTally: TallyLoader;
  heartbeatMs?: number;
  sessionCheckMs?: number;
  catchUpMs?: number;
  /** A socket with more than this buffered when a control event is due is closed (4008). */
  maxBufferedBytes?: number;
  /** Above this, tallies for the socket are held back (only the newest per vote is kept). */
  tallyLagBytes?: number;
}

/** The principal of a socket: from a ticket, or from a bearer header on the upgrade. */
export type SocketPrincipal = Pick<LivePrincipal, 'accountId' | 'sessionId' | 'role' | 'conferenceId' | 'delegateId'>;

interface ConfSub {
  lastSeq: number;
  /** False while attaching: live events are not sent until the replay or snapshot is out. */
  ready: boolean;
}

interface Conn {
  id: number;
  ws: WebSocket;
  principal: SocketPrincipal | null;
  conferences: Set<string>;
  /** voteId -> order (tallyOrder) of the last tally sent to this socket. */
  votes: Map<string, number>;
  account: string | null;
  missedPongs: number;
  pendingTallies: Map<string, { version: number; message: Buffer }>;
  chain: Promise<void>;
  inFlight: number;
  closed: boolean;
  /** Messages this socket may still send now (a token bucket: a burst, then one a second). */
  allowance: number;
  allowanceAt: number;
}

interface RingEvent {
  seq: number;
  at: string;
  type: string;
  data: unknown;
  /** Serialized once, as UTF-8, for every subscriber. */
  message: Buffer;
}

interface ConfState {
  id: string;
  topic: string;
  /** The last seq read from the events table (null until first read). */
  head: number | null;
  ring: RingEvent[];
  subs: Map<Conn, ConfSub>;
  voteWatchers: Set<string>;
  queue: Promise<void>;
  pullQueued: boolean;
  snapshotCache: { seq: number; data: ConferenceSnapshotData; at: number } | null;
}

interface VoteState {
  voteId: string;
  conferenceId: string;
  topic: string;
  subs: Set<Conn>;
  lastVersion: number;
  last: { version: number; message: Buffer; final: boolean } | null;
  timer: NodeJS.Timeout | null;
  loading: boolean;
  dirty: boolean;
  lastLoadAt: number;
  /** A lifecycle event came in during a load: reload at once after it, not after the interval. */
  urgent: boolean;
  initial: Promise<void> | null;
  /** The vote's setting, known from its first loaded tally: needed to publish a tally from an event. */
  resultsVisibility: TallyData['resultsVisibility'] | null;
}

const RING_SIZE = 1000;
const MAX_REPLAY = 2000;
const PULL_BATCH = 500;
const MIN_RETENTION_SECONDS = 15 * 60;
const MAX_IN_FLIGHT = 16;
const SNAPSHOT_CACHE_MS = 2000;
const VISIBILITY_CACHE_MS = 2000;
/** One more message allowed per this many ms, up to LIVE_MESSAGE_BURST. */
const MESSAGE_REFILL_MS = 1000;

export class LiveHub {
  private readonly conns = new Set<Conn>();
  private readonly confs = new Map<string, ConfState>();
  private readonly votes = new Map<string, VoteState>();
  private readonly lagging = new Set<Conn>();
  private readonly voteConference = new Map<string, string>();
  private readonly conferenceVisibility = new Map<string, { visibility: 'public' | 'private'; at: number }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private wakeups: Wakeups | null = null;
  private nextId = 1;
  private stopped = false;
  readonly heartbeatMs: number;
  private readonly sessionCheckMs: number;
  private readonly catchUpMs: number;
  private readonly maxBufferedBytes: number;
  private readonly tallyLagBytes: number;
  private readonly retentionMs: number;
  /** Elections' counts of ballots (topic election:<id>). */
  private readonly elections: ElectionFeed<Conn>;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: LiveHubOptions,
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? 20_000;
    this.sessionCheckMs = opts.sessionCheckMs ?? 10_000;
    this.catchUpMs = opts.catchUpMs ?? 5_000;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 1024 * 1024;
    this.tallyLagBytes = opts.tallyLagBytes ?? 64 * 1024;
    // The promise to clients: a phone that slept up to 15 minutes can always resume.
    this.retentionMs = Math.max(MIN_RETENTION_SECONDS, ctx.config.liveEventRetentionSeconds) * 1000;
    this.elections = new ElectionFeed<Conn>(ctx, (conn, data) => this.sendRaw(conn, data));
  }

  async start(): Promise<void> {
    this.wakeups = createWakeups(
      this.ctx.database,
      [EVENTS_CHANNEL, TALLIES_CHANNEL],
      {
        onNotify: (channel, payload) => this.onNotify(channel, payload),
        onConnected: (reconnected) => {
          if (reconnected) this.catchUp();
        },
      },
      this.ctx.log,
    );
    await this.wakeups.start();
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(() => {
        try {
          fn();
        } catch (err) {
          this.ctx.log.error({ err }, 'live: periodic task failed');
        }
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.heartbeatMs, () => this.heartbeat());
    every(this.sessionCheckMs, () => void this.checkSessions());
    every(this.catchUpMs, () => this.catchUp());
  }

  /** Graceful shutdown: every socket gets 1001 (reconnect elsewhere and resume), LISTEN stops. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.flushTimer) clearInterval(this.flushTimer);
    for (const v of this.votes.values()) if (v.timer) clearTimeout(v.timer);
    this.elections.stop();
    for (const c of this.conns) this.close(c, CLOSE_CODES.goingAway, 'server_shutting_down');
    await this.wakeups?.stop();
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** Topics subscribed over all sockets (for /metrics). */
  get subscriptionCount(): number {
    let n = 0;
    for (const c of this.conns) n += c.conferences.size + c.votes.size;
    return n + this.elections.subscriptionCount;
  }

  /** Told, after each control event's fan-out, when the event was written (for /metrics). */
  onFanOut: ((eventAt: string) => void) | null = null;

  // ---------------------------------------------------------------- sockets

  /** Attaches every handler synchronously (messages may arrive right after the upgrade). */
  accept(ws: WebSocket, principal: SocketPrincipal | null): void {
    const conn: Conn = {
      id: this.nextId++,
      ws,
      principal,
      conferences: new Set(),
      votes: new Map(),
      account: null,
      missedPongs: 0,
      pendingTallies: new Map(),
      chain: Promise.resolve(),
      inFlight: 0,
      closed: false,
      allowance: this.ctx.config.live.messageBurst,
      allowanceAt: Date.now(),
    };
    this.conns.add(conn);
    ws.on('message', (raw, isBinary) => {
      try {
        this.onMessage(conn, raw, isBinary);
      } catch (err) {
        this.ctx.log.error({ err }, 'live: message handler failed');
        this.send(conn, { type: 'error', code: 'unavailable', message: 'The message could not be handled.' });
      }
    });
    ws.on('pong', () => {
      conn.missedPongs = 0;
    });
    ws.on('close', () => {
      try {
        this.drop(conn);
      } catch (err) {
        this.ctx.log.error({ err }, 'live: cleanup failed');
      }
    });
    ws.on('error', (err) => {
      this.ctx.log.debug({ err: err.message }, 'live: socket error');
    });
    if (this.stopped) {
      this.close(conn, CLOSE_CODES.goingAway, 'server_shutting_down');
      return;
    }
    this.send(conn, { type: 'welcome', accountId: principal?.accountId ?? null, heartbeatMs: this.heartbeatMs });
  }

  private onMessage(conn: Conn, raw: unknown, isBinary: boolean): void {
    if (conn.closed) return;
    // Every message costs a parse and may cost a query (an unknown vote id): a client that
    // sends more than a burst and then one a second is closed (1008), not answered.
    const now = Date.now();
    const burst = this.ctx.config.live.messageBurst;
    conn.allowance = Math.min(burst, conn.allowance + (now - conn.allowanceAt) / MESSAGE_REFILL_MS);
    conn.allowanceAt = now;
    if (conn.allowance < 1) {
      this.close(conn, CLOSE_CODES.policyViolation, 'too_many_messages');
      return;
    }
    conn.allowance -= 1;
    if (isBinary) {
      this.sendError(conn, 'invalid_message', 'Send JSON text frames.');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw));
    } catch {
      this.sendError(conn, 'invalid_json', 'The message is not valid JSON.');
      return;
    }
    const msg = clientMessageSchema.safeParse(parsed);
    if (!msg.success) {
      const issue = msg.error.issues[0];
      this.sendError(
        conn,
        'invalid_message',
        `The message is not valid${issue ? `: ${issue.path.join('.') || 'message'}: ${issue.message}` : ''}.`,
      );
      return;
    }
    if (msg.data.type === 'ping') {
      conn.missedPongs = 0;
      this.send(conn, { type: 'pong' });
      return;
    }
    if (conn.inFlight >= MAX_IN_FLIGHT) {
      this.sendError(conn, 'invalid_message', 'Too many requests in flight; wait for the answers.');
      return;
    }
    conn.inFlight++;
    const m = msg.data;
    conn.chain = conn.chain
      .then(() => this.handle(conn, m))
      .catch((err: unknown) => {
        this.ctx.log.error({ err }, 'live: request failed');
        this.sendError(conn, 'unavailable', 'The request failed; try again.');
      })
      .finally(() => {
        conn.inFlight--;
      });
  }

  private async handle(conn: Conn, msg: Exclude<ClientMessage, { type: 'ping' }>): Promise<void> {
    if (conn.closed || this.stopped) return;
    if (msg.type === 'unsubscribe') {
      const done: string[] = [];
      for (const topic of msg.topics) {
        const t = parseTopic(topic);
        if (t?.kind === 'conference' && conn.conferences.has(t.id)) this.detachConference(conn, t.id);
        else if (t?.kind === 'vote' && conn.votes.has(t.id)) this.detachVote(conn, t.id);
        else if (t?.kind === 'election' && this.elections.has(conn, t.id)) this.elections.detach(conn, t.id);
        else if (t?.kind === 'account' && conn.account === t.id) conn.account = null;
        else {
          this.sendError(conn, 'not_subscribed', `Not subscribed to ${topic}.`, topic);
          continue;
        }
        done.push(topic);
      }
      if (done.length) this.send(conn, { type: 'unsubscribed', topics: done });
      return;
    }
    const granted: { kind: TopicKind; id: string; topic: string; conferenceId: string }[] = [];
    const wanted = [...new Set(msg.topics)].map((topic) => ({ topic, t: parseTopic(topic) }));
    // A few queries for the whole message, whatever the number of topics.
    const electionIds = wanted.flatMap((w) => (w.t?.kind === 'election' ? [w.t.id] : []));
    await this.elections.resolve(electionIds);
    await this.resolveTopics(
      [
        ...wanted.flatMap((w) => (w.t?.kind === 'conference' ? [w.t.id] : [])),
        ...electionIds.flatMap((id) => this.elections.conferenceOf(id) ?? []),
      ],
      wanted.flatMap((w) => (w.t?.kind === 'vote' ? [w.t.id] : [])),
    );
    for (const { topic, t } of wanted) {
      if (!t) {
        this.sendError(
          conn,
          'invalid_topic',
          `Unknown topic ${topic}: use conference:<id>, vote:<id>, election:<id> or account:<id>.`,
          topic,
        );
        continue;
      }
      const already =
        (t.kind === 'conference' && conn.conferences.has(t.id)) ||
        (t.kind === 'vote' && conn.votes.has(t.id)) ||
        (t.kind === 'election' && this.elections.has(conn, t.id)) ||
        (t.kind === 'account' && conn.account === t.id);
      if (!already && this.topicCount(conn) + granted.length >= LIVE_LIMITS.maxTopicsPerSocket) {
        this.sendError(conn, 'too_many_topics', `At most ${LIVE_LIMITS.maxTopicsPerSocket} topics per socket.`, topic);
        continue;
      }
      const conferenceId = this.authorize(conn, t.kind, t.id);
      if (conferenceId === null) {
        this.sendError(
          conn,
          'forbidden_topic',
          t.kind === 'account'
            ? 'Only the account of the ticket may subscribe to its own topic.'
            : 'No such topic, or it needs a ticket of an account of this conference.',
          topic,
        );
        continue;
      }
      granted.push({ kind: t.kind, id: t.id, topic, conferenceId });
    }
    if (!granted.length || conn.closed) return;
    this.send(conn, { type: 'subscribed', topics: granted.map((g) => g.topic) });
    for (const g of granted) {
      if (conn.closed) return;
      if (g.kind === 'conference') await this.attachConference(conn, g.id, msg.after?.[g.topic]);
      else if (g.kind === 'vote') await this.attachVote(conn, g.id, g.conferenceId);
      else if (g.kind === 'election') await this.elections.attach(conn, g.id);
      else conn.account = g.id;
    }
  }

  private topicCount(conn: Conn): number {
    return conn.conferences.size + conn.votes.size + this.elections.countOf(conn) + (conn.account ? 1 : 0);
  }

  /**
   * Loads what authorizing needs into two small caches: a vote's conference (it never
   * changes) and a conference's visibility (kept VISIBILITY_CACHE_MS, so that a connect
   * storm of thousands of observers costs a handful of queries, not two per socket).
   */
  private async resolveTopics(conferenceIds: string[], voteIds: string[]): Promise<void> {
    const missingVotes = [...new Set(voteIds)].filter((id) => !this.voteConference.has(id));
    if (missingVotes.length) {
      const rows = await this.ctx.db
        .select({ id: votes.id, conferenceId: votes.conferenceId })
        .from(votes)
        .where(inArray(votes.id, missingVotes));
      if (this.voteConference.size > 50_000) this.voteConference.clear();
      for (const r of rows) this.voteConference.set(r.id, r.conferenceId);
    }
    const now = Date.now();
    const needed = new Set(conferenceIds);
    for (const v of voteIds) {
      const c = this.voteConference.get(v);
      if (c) needed.add(c);
    }
    const stale = [...needed].filter((id) => {
      const hit = this.conferenceVisibility.get(id);
      return !hit || now - hit.at > VISIBILITY_CACHE_MS;
    });
    if (stale.length) {
      const rows = await this.ctx.db
        .select({ id: conferences.id, visibility: conferences.visibility })
        .from(conferences)
        .where(inArray(conferences.id, stale));
      if (this.conferenceVisibility.size > 10_000) this.conferenceVisibility.clear();
      for (const id of stale) this.conferenceVisibility.delete(id);
      for (const r of rows) this.conferenceVisibility.set(r.id, { visibility: r.visibility, at: now });
    }
  }

  /** The topic's conference when the caller may read it (after resolveTopics); null when not. */
  private authorize(conn: Conn, kind: TopicKind, id: string): string | null {
    const p = conn.principal;
    if (kind === 'account') return p && p.accountId === id ? '' : null;
    const conferenceId =
      kind === 'conference' ? id : kind === 'election' ? this.elections.conferenceOf(id) : this.voteConference.get(id);
    const c = conferenceId ? this.conferenceVisibility.get(conferenceId) : undefined;
    if (!conferenceId || !c) return null;
    const principal: Principal | null = p ? { ...p, username: null } : null;
    return canRead(principal, { id: conferenceId, visibility: c.visibility }) ? conferenceId : null;
  }

  private drop(conn: Conn): void {
    if (!this.conns.delete(conn)) return;
    conn.closed = true;
    for (const id of [...conn.conferences]) this.detachConference(conn, id);
    for (const id of [...conn.votes.keys()]) this.detachVote(conn, id);
    this.elections.drop(conn);
    conn.pendingTallies.clear();
    this.lagging.delete(conn);
  }

  private close(conn: Conn, code: number, reason: string): void {
    if (conn.closed) return;
    conn.closed = true;
    try {
      conn.ws.close(code, reason);
    } catch {
      conn.ws.terminate();
    }
    // A peer that does not answer the close handshake (or cannot drain) is cut off.
    const t = setTimeout(() => conn.ws.terminate(), 2000);
    t.unref();
    this.drop(conn);
  }

  private send(conn: Conn, msg: ServerMessage): void {
    this.sendRaw(conn, JSON.stringify(msg));
  }

  /** A Buffer is encoded once for all sockets; `binary: false` still sends it as a text frame. */
  private sendRaw(conn: Conn, data: string | Buffer): void {
    if (conn.closed || conn.ws.readyState !== conn.ws.OPEN) return;
    conn.ws.send(data, { binary: false });
  }

  private sendError(conn: Conn, code: LiveErrorCode, message: string, topic?: string): void {
    const m: ErrorMessage = { type: 'error', code, message };
    if (topic !== undefined) m.topic = topic;
    this.send(conn, m);
  }

  /** Control events are never dropped: a socket that cannot take them is closed instead. */
  private sendControl(conn: Conn, data: Buffer): void {
    if (conn.closed) return;
    if (conn.ws.bufferedAmount > this.maxBufferedBytes) {
      this.ctx.log.info({ conn: conn.id, buffered: conn.ws.bufferedAmount }, 'live: closing a slow consumer');
      this.close(conn, CLOSE_CODES.slowConsumer, 'slow_consumer');
      return;
    }
    this.sendRaw(conn, data);
  }

  // ---------------------------------------------------------------- conferences

  private conf(id: string): ConfState {
    let s = this.confs.get(id);
    if (!s) {
      s = {
        id,
        topic: `conference:${id}`,
        head: null,
        ring: [],
        subs: new Map(),
        voteWatchers: new Set(),
        queue: Promise.resolve(),
        pullQueued: false,
        snapshotCache: null,
      };
      this.confs.set(id, s);
    }
    return s;
  }

  private releaseConf(s: ConfState): void {
    if (s.subs.size === 0 && s.voteWatchers.size === 0) this.confs.delete(s.id);
  }

  private enqueue(s: ConfState, fn: () => Promise<void>): Promise<void> {
    const run = s.queue.then(fn);
    s.queue = run.catch((err: unknown) => {
      if (!this.stopped) this.ctx.log.error({ err, conferenceId: s.id }, 'live: conference task failed');
    });
    return run;
  }

  private requestPull(s: ConfState): void {
    if (s.pullQueued || this.stopped) return;
    s.pullQueued = true;
    void this.enqueue(s, async () => {
      s.pullQueued = false;
      await this.pull(s);
    }).catch(() => undefined);
  }

  /** Reads what is new in the log after the head and delivers it. Runs in the conference's queue. */
  private async pull(s: ConfState): Promise<void> {
    if (this.stopped) return;
    if (s.head === null) {
      const [c] = await this.ctx.db
        .select({ seq: conferences.eventSeq })
        .from(conferences)
        .where(eq(conferences.id, s.id));
      s.head = c ? Number(c.seq) : 0;
      return;
    }
    for (;;) {
      const rows = await this.readEvents(s.id, s.head, null, PULL_BATCH);
      for (const row of rows) {
        if (row.seq <= s.head) continue;
        s.head = row.seq;
        s.ring.push(row);
        if (s.ring.length > RING_SIZE) s.ring.splice(0, s.ring.length - RING_SIZE);
        this.deliver(s, row);
      }
      if (rows.length < PULL_BATCH || this.stopped) break;
    }
  }

  private async readEvents(conferenceId: string, after: number, upTo: number | null, limit: number) {
    const rows = rowsOf<{ seq: number | string; type: string; at: string; data: unknown }>(
      await this.ctx.db.execute(sql`
        select seq, type, at, data from events
        where conference_id = ${conferenceId} and seq > ${after}
          ${upTo === null ? sql`` : sql`and seq <= ${upTo}`}
        order by seq limit ${limit}`),
    );
    const topic = `conference:${conferenceId}`;
    return rows.map((r): RingEvent => {
      const seq = Number(r.seq);
      const data = typeof r.data === 'string' ? (JSON.parse(r.data) as unknown) : r.data;
      const pub = publicEvent(r.type, data);
      const msg: EventMessage = { type: 'event', topic, seq, event: pub.event, at: r.at, data: pub.data };
      return { seq, at: r.at, type: r.type, data, message: Buffer.from(JSON.stringify(msg)) };
    });
  }

  private deliver(s: ConfState, ev: RingEvent): void {
    // A vote's lifecycle event: its tally changes state now (and is final at close). The
    // load starts before the fan-out of the event, so that its query overlaps the sends.
    if (ev.type.startsWith('vote.') && ev.data && typeof ev.data === 'object') {
      const d = ev.data as Record<string, unknown>;
      const voteId = typeof d.voteId === 'string' ? d.voteId : typeof d.id === 'string' ? d.id : null;
      const v = voteId ? this.votes.get(voteId) : undefined;
      // The final tally goes out first, straight from the signed close record: a hall
      // screen waits for it, not for the event. Anything else reloads the tally.
      const final =
        v && ev.type === 'vote.closed' && v.resultsVisibility
          ? closedTallyFromEvent(v.conferenceId, ev.data, v.resultsVisibility)
          : null;
      if (v && final) this.publishTally(v, final);
      else if (v) this.scheduleTally(v, true);
    }
    for (const [conn, sub] of s.subs) {
      if (!sub.ready || sub.lastSeq >= ev.seq) continue;
      sub.lastSeq = ev.seq;
      this.sendControl(conn, ev.message);
    }
    this.onFanOut?.(ev.at);
  }

  private async attachConference(conn: Conn, conferenceId: string, after: number | undefined): Promise<void> {
    const s = this.conf(conferenceId);
    const sub: ConfSub = { lastSeq: 0, ready: false };
    s.subs.set(conn, sub);
    conn.conferences.add(conferenceId);
    await this.enqueue(s, async () => {
      // No read per subscriber (a connect storm of thousands): events newer than the head
      // arrive through the next pull and reach this subscriber too, since its lastSeq is
      // below them. Read first only when the head is unknown, or behind the client (which
      // may come from another instance that has already pushed newer events).
      if (s.head === null || (after !== undefined && after > s.head)) await this.pull(s);
      if (conn.closed || s.subs.get(conn) !== sub) return;
      const head = s.head ?? 0;
      if (after === undefined) return this.sendSnapshot(conn, s, sub, 'initial');
      if (after > head) return this.sendSnapshot(conn, s, sub, 'after_ahead');
      if (after === head) {
        sub.lastSeq = head;
        sub.ready = true;
        return;
      }
      if (head - after > MAX_REPLAY) return this.sendSnapshot(conn, s, sub, 'too_many_events');
      const first = s.ring[0];
      const missed =
        first && first.seq <= after + 1
          ? s.ring.filter((e) => e.seq > after)
          : await this.readEvents(conferenceId, after, head, MAX_REPLAY + 1);
      const oldest = missed[0];
      if (
        !oldest ||
        oldest.seq !== after + 1 ||
        Date.parse(oldest.at) < this.ctx.clock().getTime() - this.retentionMs
      ) {
        return this.sendSnapshot(conn, s, sub, 'beyond_retention');
      }
      for (const e of missed) {
        if (e.seq > head) break;
        this.sendRaw(conn, e.message);
        sub.lastSeq = e.seq;
      }
      sub.ready = true;
    });
  }

  private async sendSnapshot(conn: Conn, s: ConfState, sub: ConfSub, reason: SnapshotMessage['reason']) {
    let snap = s.snapshotCache;
    if (!snap || snap.seq !== s.head || Date.now() - snap.at > SNAPSHOT_CACHE_MS) {
      const loaded = await loadConferenceSnapshot(this.ctx.db, s.id);
      if (!loaded) return;
      snap = { seq: loaded.seq, data: loaded.data, at: Date.now() };
      s.snapshotCache = snap;
    }
    if (conn.closed || s.subs.get(conn) !== sub) return;
    const msg: SnapshotMessage = { type: 'snapshot', topic: s.topic, seq: snap.seq, reason, data: snap.data };
    this.sendRaw(conn, JSON.stringify(msg));
    sub.lastSeq = snap.seq;
    // The snapshot may be older than what the hub already read (it cannot be, but if it
    // were, the ring holds what follows): send the rest so that nothing is skipped.
    for (const e of s.ring) {
      if (e.seq > sub.lastSeq) {
        this.sendRaw(conn, e.message);
        sub.lastSeq = e.seq;
      }
    }
    sub.ready = true;
  }

  private detachConference(conn: Conn, conferenceId: string): void {
    conn.conferences.delete(conferenceId);
    const s = this.confs.get(conferenceId);
    if (!s) return;
    s.subs.delete(conn);
    this.releaseConf(s);
  }

  // ---------------------------------------------------------------- tallies

  private async attachVote(conn: Conn, voteId: string, conferenceId: string): Promise<void> {
    let v = this.votes.get(voteId);
    if (!v) {
      v = {
        voteId,
        conferenceId,
        topic: `vote:${voteId}`,
        subs: new Set(),
        lastVersion: -1,
        last: null,
        timer: null,
        loading: false,
        dirty: false,
        lastLoadAt: 0,
        urgent: false,
        initial: null,
        resultsVisibility: null,
      };
      this.votes.set(voteId, v);
      // Watching the conference's log is how the hub sees the vote close on any instance.
      const s = this.conf(conferenceId);
      s.voteWatchers.add(voteId);
      if (s.head === null) this.requestPull(s);
    }
    v.subs.add(conn);
    conn.votes.set(voteId, -1);
    // The newest tally this instance has is the current one: if a newer one is being
    // loaded, its broadcast reaches this subscriber too. Only the first subscriber(s) wait
    // for a load, and they share it.
    if (!v.last) {
      v.initial ??= this.loadInitial(v);
      await v.initial;
    }
    if (v.last && !conn.closed) this.sendTally(conn, v, v.last.version, v.last.message);
  }

  private async loadInitial(v: VoteState): Promise<void> {
    try {
      const snap = await this.opts.loadTally(this.ctx.db, v.voteId);
      if (snap) this.keepTally(v, snap);
    } finally {
      v.initial = null;
    }
  }

  private detachVote(conn: Conn, voteId: string): void {
    conn.votes.delete(voteId);
    conn.pendingTallies.delete(voteId);
    const v = this.votes.get(voteId);
    if (!v) return;
    v.subs.delete(conn);
    if (v.subs.size === 0) {
      if (v.timer) clearTimeout(v.timer);
      this.votes.delete(voteId);
      const s = this.confs.get(v.conferenceId);
      if (s) {
        s.voteWatchers.delete(voteId);
        this.releaseConf(s);
      }
    }
  }

  /** Trailing-edge coalescing: at most one load per interval per vote; the newest always goes out. */
  private scheduleTally(v: VoteState, immediate = false): void {
    if (this.stopped || this.votes.get(v.voteId) !== v) return;
    if (v.loading) {
      v.dirty = true;
      if (immediate) v.urgent = true;
      return;
    }
    if (v.timer && !immediate) return;
    if (v.timer) clearTimeout(v.timer);
    v.timer = null;
    if (immediate) {
      void this.loadAndBroadcast(v);
      return;
    }
    const wait = Math.max(0, v.lastLoadAt + this.ctx.config.liveTallyIntervalMs - Date.now());
    v.timer = setTimeout(() => {
      v.timer = null;
      void this.loadAndBroadcast(v);
    }, wait);
    v.timer.unref();
  }

  private async loadAndBroadcast(v: VoteState): Promise<void> {
    if (this.stopped || this.votes.get(v.voteId) !== v) return;
    v.loading = true;
    v.dirty = false;
    v.urgent = false;
    v.lastLoadAt = Date.now();
    try {
      const snap = await this.opts.loadTally(this.ctx.db, v.voteId);
      if (snap) this.publishTally(v, snap);
    } catch (err) {
      if (!this.stopped) this.ctx.log.error({ err, voteId: v.voteId }, 'live: tally load failed');
    } finally {
      v.loading = false;
    }
    if (v.dirty) this.scheduleTally(v, v.urgent);
  }

  /** Sends a tally to the vote's subscribers unless a newer one (tallyOrder) went out already. */
  private publishTally(v: VoteState, snap: EngineTallySnapshot): void {
    const kept = this.keepTally(v, snap);
    if (kept) for (const conn of v.subs) this.sendTally(conn, v, kept.version, kept.message);
  }

  /** Makes this the vote's newest tally (v.last), encoded once for all sockets; null when not newer. */
  private keepTally(v: VoteState, snap: EngineTallySnapshot): VoteState['last'] {
    v.resultsVisibility = snap.resultsVisibility;
    const data = publicTally(snap);
    const order = tallyOrder(data);
    if (order <= v.lastVersion) return null;
    const message = Buffer.from(
      JSON.stringify({ type: 'tally', topic: v.topic, version: data.version, data } satisfies TallyMessage),
    );
    v.lastVersion = order;
    v.last = { version: order, message, final: data.final };
    return v.last;
  }

  private sendTally(conn: Conn, v: VoteState, version: number, message: Buffer): void {
    if (conn.closed) return;
    const sent = conn.votes.get(v.voteId);
    if (sent === undefined || sent >= version) return;
    if (conn.ws.bufferedAmount > this.tallyLagBytes) {
      // Superseded tallies are dropped for a lagging socket: only the newest waits.
      conn.pendingTallies.set(v.voteId, { version, message });
      this.lagging.add(conn);
      this.ensureFlush();
      return;
    }
    conn.votes.set(v.voteId, version);
    this.sendRaw(conn, message);
  }

  private ensureFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setInterval(() => {
      for (const conn of this.lagging) {
        if (conn.closed) {
          this.lagging.delete(conn);
          continue;
        }
        if (conn.ws.bufferedAmount > this.tallyLagBytes) continue;
        this.lagging.delete(conn);
        const pending = [...conn.pendingTallies.entries()];
        conn.pendingTallies.clear();
        for (const [voteId, p] of pending) {
          const v = this.votes.get(voteId);
          if (v) this.sendTally(conn, v, p.version, p.message);
        }
      }
      if (this.lagging.size === 0 && this.flushTimer) {
        clearInterval(this.flushTimer);
        this.flushTimer = null;
      }
    }, 50);
    this.flushTimer.unref();
  }

  // ---------------------------------------------------------------- wake-ups

  private onNotify(channel: string, payload: string): void {
    try {
      const [conferenceId, rest] = payload.split(':', 2);
      if (!conferenceId || rest === undefined) return;
      if (channel === EVENTS_CHANNEL) {
        const s = this.confs.get(conferenceId);
        const seq = Number(rest);
        if (s && (s.head === null || !(seq <= s.head))) this.requestPull(s);
      } else if (channel === TALLIES_CHANNEL) {
        const v = this.votes.get(rest);
        if (v) this.scheduleTally(v);
        else this.elections.onNotify(payload);
      }
    } catch (err) {
      this.ctx.log.error({ err }, 'live: notification handler failed');
    }
  }

  /** A lost notification, or a lost listener: read what is new for every conference and vote watched here. */
  catchUp(): void {
    if (this.stopped) return;
    this.elections.catchUp();
    if (this.confs.size === 0) return;
    const ids = [...this.confs.keys()];
    void (async () => {
      const rows = await this.ctx.db
        .select({ id: conferences.id, seq: conferences.eventSeq })
        .from(conferences)
        .where(inArray(conferences.id, ids));
      for (const r of rows) {
        const s = this.confs.get(r.id);
        if (s && s.head !== null && Number(r.seq) > s.head) this.requestPull(s);
      }
      for (const v of this.votes.values()) if (!v.last?.final) this.scheduleTally(v);
    })().catch((err: unknown) => {
      if (!this.stopped) this.ctx.log.warn({ err }, 'live: catch-up failed');
    });
  }

  // ---------------------------------------------------------------- liveness and sessions

  private heartbeat(): void {
    for (const conn of this.conns) {
      if (conn.missedPongs >= 2) {
        conn.ws.terminate();
        this.drop(conn);
        continue;
      }
      conn.missedPongs++;
      try {
        conn.ws.ping();
      } catch {
        // A socket that is closing: its close handler cleans up.
      }
    }
  }

  /** One query for every authenticated socket of this instance. */
  async checkSessions(): Promise<void> {
    const authed = [...this.conns].filter((c) => c.principal);
    if (this.stopped || authed.length === 0) return;
    const ids = [...new Set(authed.map((c) => c.principal!.sessionId))];
    try {
      const rows = await this.ctx.db
        .select({
          id: sessions.id,
          revokedAt: sessions.revokedAt,
          expiresAt: sessions.expiresAt,
          disabled: accounts.disabled,
        })
        .from(sessions)
        .innerJoin(accounts, eq(accounts.id, sessions.accountId))
        .where(inArray(sessions.id, ids));
      const byId = new Map(rows.map((r) => [r.id, r]));
      const now = this.ctx.clock().getTime();
      for (const conn of authed) {
        const r = byId.get(conn.principal!.sessionId);
        if (!r || r.revokedAt || r.disabled) {
          this.endSession(conn, 'session_revoked', CLOSE_CODES.sessionRevoked, 'This session was signed out.');
        } else if (r.expiresAt.getTime() <= now) {
          this.endSession(conn, 'session_expired', CLOSE_CODES.sessionExpired, 'This session has expired.');
        }
      }
    } catch (err) {
      if (!this.stopped) this.ctx.log.warn({ err }, 'live: session check failed');
    }
  }

  private endSession(conn: Conn, notice: 'session_revoked' | 'session_expired', code: number, message: string) {
    if (conn.account) this.send(conn, { type: 'notice', topic: `account:${conn.account}`, notice, message });
    this.close(conn, code, notice);
  }

  /** Parses a client message without a socket (for tests and tools). */
  static parse(raw: string): ClientMessage | null {
    try {
      const r = clientMessageSchema.safeParse(JSON.parse(raw));
      return r.success ? r.data : null;
    } catch {
      return null;
    }
  }
}
