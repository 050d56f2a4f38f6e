/**
 * The live hub of one instance: its sockets and what each subscribed to. The fan-out is
 * in the feeds: conference-feed.ts (each conference's log, replay and snapshot),
 * tally-feed.ts (each vote's tally), session-watch.ts (a socket ends with its session);
 * their queries are in live-repository.ts.
 *
 * - A NOTIFY (or the periodic catch-up, or a reconnect of the listener) only says "look":
 *   the feeds read what is new from the database, never from a notification's payload.
 * - A socket whose buffer grows beyond maxBufferedBytes with control events pending is
 *   closed (4008) so that it reconnects and resumes, rather than the service holding
 *   megabytes for it.
 */
import type { WebSocket } from 'ws';
import type { AppContext } from '../app-context.js';
import { canRead } from '../conferences/conference-access.js';
import type { Principal } from '../auth/principal.js';
import {
  EVENTS_CHANNEL,
  LIVE_CHANNELS,
  TALLIES_CHANNEL,
  accountTopic,
  parseNotice,
  parseTopic,
  type TopicKind,
} from '../events/channels.js';
import { ConferenceFeed } from './conference-feed.js';
import type { Conn, SocketPrincipal, Sockets } from './live-connection.js';
import { conferenceVisibilities, conferencesOfVotes } from './live-repository.js';
import { createWakeups, type Wakeups } from './pg-listener.js';
import { ElectionFeed } from './election-feed.js';
import {
  CLOSE_CODES,
  LIVE_LIMITS,
  clientMessageSchema,
  type ClientMessage,
  type ErrorMessage,
  type LiveErrorCode,
  type ServerMessage,
} from './protocol.js';
import { checkSessions } from './session-watch.js';
import { TallyFeed } from './tally-feed.js';
import type { TallyLoader } from './tally-source.js';

export type { SocketPrincipal } from './live-connection.js';

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

const MIN_RETENTION_SECONDS = 15 * 60;
const MAX_IN_FLIGHT = 16;
const VISIBILITY_CACHE_MS = 2000;
/** One more message allowed per this many ms, up to LIVE_MESSAGE_BURST. */
const MESSAGE_REFILL_MS = 1000;

export class LiveHub {
  private readonly conns = new Set<Conn>();
  private readonly conferences: ConferenceFeed;
  private readonly tallies: TallyFeed;
  private readonly voteConference = new Map<string, string>();
  private readonly conferenceVisibility = new Map<string, { visibility: 'public' | 'private'; at: number }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private wakeups: Wakeups | null = null;
  private nextId = 1;
  private stopped = false;
  readonly heartbeatMs: number;
  private readonly sessionCheckMs: number;
  private readonly catchUpMs: number;
  private readonly maxBufferedBytes: number;
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
    // The promise to clients: a phone that slept up to 15 minutes can always resume.
    const retentionMs = Math.max(MIN_RETENTION_SECONDS, ctx.config.liveEventRetentionSeconds) * 1000;
    const sockets: Sockets = {
      sendRaw: (conn, data) => this.sendRaw(conn, data),
      sendControl: (conn, data) => this.sendControl(conn, data),
    };
    this.conferences = new ConferenceFeed(ctx, sockets, retentionMs, {
      beforeFanOut: (ev) => this.tallies.onEvent(ev),
      afterFanOut: (ev) => this.onFanOut?.(ev.at),
    });
    this.tallies = new TallyFeed(ctx, sockets, opts.loadTally, opts.tallyLagBytes ?? 64 * 1024, this.conferences);
    this.elections = new ElectionFeed<Conn>(ctx, (conn, data) => this.sendRaw(conn, data));
  }

  async start(): Promise<void> {
    this.wakeups = createWakeups(
      this.ctx.database,
      [...LIVE_CHANNELS],
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
    this.tallies.stop();
    this.conferences.stop();
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
        if (t?.kind === 'conference' && conn.conferences.has(t.id)) this.conferences.detach(conn, t.id);
        else if (t?.kind === 'vote' && conn.votes.has(t.id)) this.tallies.detach(conn, t.id);
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
      if (g.kind === 'conference') await this.conferences.attach(conn, g.id, msg.after?.[g.topic]);
      else if (g.kind === 'vote') await this.tallies.attach(conn, g.id, g.conferenceId);
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
      const rows = await conferencesOfVotes(this.ctx.db, missingVotes);
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
      const rows = await conferenceVisibilities(this.ctx.db, stale);
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
    for (const id of [...conn.conferences]) this.conferences.detach(conn, id);
    for (const id of [...conn.votes.keys()]) this.tallies.detach(conn, id);
    this.tallies.forget(conn);
    this.elections.drop(conn);
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

  // ---------------------------------------------------------------- tallies

  // ---------------------------------------------------------------- wake-ups

  private onNotify(channel: string, payload: string): void {
    try {
      const notice = parseNotice(payload);
      if (!notice) return;
      const { conferenceId, rest } = notice;
      if (channel === EVENTS_CHANNEL) this.conferences.notified(conferenceId, Number(rest));
      else if (channel === TALLIES_CHANNEL) {
        // A vote's tally, or an election's count of ballots (notifyElectionCount in src/elections/election-repository.ts).
        if (!this.tallies.notified(rest)) this.elections.onNotify(payload);
      }
    } catch (err) {
      this.ctx.log.error({ err }, 'live: notification handler failed');
    }
  }

  /** A lost notification, or a lost listener: read what is new for every conference and vote watched here. */
  catchUp(): void {
    if (this.stopped) return;
    this.elections.catchUp();
    if (this.conferences.size === 0) return;
    void (async () => {
      await this.conferences.catchUp();
      this.tallies.catchUp();
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
    await checkSessions(
      this.ctx,
      this.conns,
      (...a) => this.endSession(...a),
      () => this.stopped,
    );
  }

  private endSession(conn: Conn, notice: 'session_revoked' | 'session_expired', code: number, message: string) {
    if (conn.account) this.send(conn, { type: 'notice', topic: accountTopic(conn.account), notice, message });
    this.close(conn, code, notice);
  }
}
