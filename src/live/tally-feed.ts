/**
 * The tally feed: each watched vote's tally, loaded at most once per liveTallyIntervalMs
 * (trailing: the newest is always loaded and sent), once for all subscribers, serialized
 * once. A socket that lags gets only the newest tally per vote. A vote's lifecycle events
 * (from the conference feed) change its tally's state at once; the final tally is built
 * from the signed close record without another read of the ballots. A secret_e2e vote gets
 * participation frames only (publicParticipation): it has no tally to show.
 */
import type { AppContext } from '../app-context.js';
import { voteTopic } from '../events/channels.js';
import { isVoteEvent } from '../votes/vote-events.js';
import type { RingEvent } from './conference-feed.js';
import type { Conn, Sockets } from './live-connection.js';
import type { ParticipationMessage, TallyData, TallyMessage } from './protocol.js';
import {
  closedTallyFromEvent,
  publicParticipation,
  publicTally,
  tallyOrder,
  type EngineTallySnapshot,
  type TallyLoader,
} from './tally-source.js';

/** A vote some socket of this instance watches, and its newest tally. */
interface WatchedVote {
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

export class TallyFeed {
  private readonly votes = new Map<string, WatchedVote>();
  private readonly lagging = new Set<Conn>();
  private flushTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly sockets: Sockets,
    private readonly loadTally: TallyLoader,
    /** Above this, tallies for the socket are held back (only the newest per vote is kept). */
    private readonly tallyLagBytes: number,
    private readonly conferences: {
      watch(conferenceId: string, voteId: string): void;
      unwatch(conferenceId: string, voteId: string): void;
    },
  ) {}

  stop(): void {
    this.stopped = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    for (const v of this.votes.values()) if (v.timer) clearTimeout(v.timer);
  }

  /** A socket is gone: nothing waits for it any more. */
  forget(conn: Conn): void {
    conn.pendingTallies.clear();
    this.lagging.delete(conn);
  }

  /** A new event of a watched conference's log. */
  onEvent(ev: RingEvent): void {
    const e = ev.known;
    if (e && isVoteEvent(e)) {
      const v = this.votes.get(e.data.voteId);
      // The final tally goes out first, straight from the signed close record: a hall
      // screen waits for it, not for the event. Anything else reloads the tally.
      const final =
        v && e.type === 'vote.closed' && v.resultsVisibility
          ? closedTallyFromEvent(v.conferenceId, e.data, v.resultsVisibility)
          : null;
      if (v && final) this.publishTally(v, final);
      else if (v) this.scheduleTally(v, true);
    }
  }

  /** A NOTIFY said this vote got a ballot. */
  /** False when no vote of that id is watched here (the notice may be an election's). */
  notified(voteId: string): boolean {
    const v = this.votes.get(voteId);
    if (v) this.scheduleTally(v);
    return v !== undefined;
  }

  /** Reloads every tally that is not final yet (a notification may have been lost). */
  catchUp(): void {
    for (const v of this.votes.values()) if (!v.last?.final) this.scheduleTally(v);
  }

  async attach(conn: Conn, voteId: string, conferenceId: string): Promise<void> {
    let v = this.votes.get(voteId);
    if (!v) {
      v = {
        voteId,
        conferenceId,
        topic: voteTopic(voteId),
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
      this.conferences.watch(conferenceId, voteId);
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

  private async loadInitial(v: WatchedVote): Promise<void> {
    try {
      const snap = await this.loadTally(this.ctx.db, v.voteId);
      if (snap) this.keepTally(v, snap);
    } finally {
      v.initial = null;
    }
  }

  detach(conn: Conn, voteId: string): void {
    conn.votes.delete(voteId);
    conn.pendingTallies.delete(voteId);
    const v = this.votes.get(voteId);
    if (!v) return;
    v.subs.delete(conn);
    if (v.subs.size === 0) {
      if (v.timer) clearTimeout(v.timer);
      this.votes.delete(voteId);
      this.conferences.unwatch(v.conferenceId, voteId);
    }
  }

  /** Trailing-edge coalescing: at most one load per interval per vote; the newest always goes out. */
  private scheduleTally(v: WatchedVote, immediate = false): void {
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

  private async loadAndBroadcast(v: WatchedVote): Promise<void> {
    if (this.stopped || this.votes.get(v.voteId) !== v) return;
    v.loading = true;
    v.dirty = false;
    v.urgent = false;
    v.lastLoadAt = Date.now();
    try {
      const snap = await this.loadTally(this.ctx.db, v.voteId);
      if (snap) this.publishTally(v, snap);
    } catch (err) {
      if (!this.stopped) this.ctx.log.error({ err, voteId: v.voteId }, 'live: tally load failed');
    } finally {
      v.loading = false;
    }
    if (v.dirty) this.scheduleTally(v, v.urgent);
  }

  /** Sends a tally to the vote's subscribers unless a newer one (tallyOrder) went out already. */
  private publishTally(v: WatchedVote, snap: EngineTallySnapshot): void {
    const kept = this.keepTally(v, snap);
    if (kept) for (const conn of v.subs) this.sendTally(conn, v, kept.version, kept.message);
  }

  /** Makes this the vote's newest tally (v.last), encoded once for all sockets; null when not newer. */
  private keepTally(v: WatchedVote, snap: EngineTallySnapshot): WatchedVote['last'] {
    v.resultsVisibility = snap.resultsVisibility;
    if (snap.mode === 'secret_e2e') return this.keepParticipation(v, snap);
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

  private keepParticipation(v: WatchedVote, snap: EngineTallySnapshot): WatchedVote['last'] {
    const data = publicParticipation(snap);
    const order = tallyOrder({ version: snap.version, state: data.state });
    if (order <= v.lastVersion) return null;
    const message = Buffer.from(
      JSON.stringify({
        type: 'participation',
        topic: v.topic,
        version: snap.version,
        data,
      } satisfies ParticipationMessage),
    );
    v.lastVersion = order;
    v.last = { version: order, message, final: data.final };
    return v.last;
  }

  private sendTally(conn: Conn, v: WatchedVote, version: number, message: Buffer): void {
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
    this.sockets.sendRaw(conn, message);
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
}
