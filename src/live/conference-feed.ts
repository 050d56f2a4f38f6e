/**
 * The conference feed: each watched conference's log, read after the last seq this
 * instance has and fanned out to the conference topic's subscribers, with the replay or
 * snapshot a (re)subscribing client needs. Every operation on a conference (reading new
 * events, attaching a subscriber with or without `after`) runs in that conference's own
 * queue, one after another; so a resuming subscriber gets the replay and then the live
 * events with no gap and no duplicate, by construction, and each subscriber also keeps
 * its own last seq as a second guard.
 */
import type { AppContext } from '../app-context.js';
import { conferenceTopic } from '../events/channels.js';
import { knownEvent, publicEvent, type KnownEvent } from '../events/event-catalog.js';
import type { Conn, Sockets } from './live-connection.js';
import { conferenceHead, conferenceHeads, eventsAfter, loadConferenceSnapshot } from './live-repository.js';
import type { ConferenceSnapshotData, EventMessage, SnapshotMessage } from './protocol.js';

const RING_SIZE = 1000;
const MAX_REPLAY = 2000;
const PULL_BATCH = 500;
const SNAPSHOT_CACHE_MS = 2000;

interface ConfSub {
  lastSeq: number;
  /** False while attaching: live events are not sent until the replay or snapshot is out. */
  ready: boolean;
}

export interface RingEvent {
  seq: number;
  at: string;
  /** Null for a type this build does not know (a newer instance wrote it). */
  known: KnownEvent | null;
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
  /** Votes whose tally feed watches this log (to see them open and close on any instance). */
  voteWatchers: Set<string>;
  queue: Promise<void>;
  pullQueued: boolean;
  snapshotCache: { seq: number; data: ConferenceSnapshotData; at: number } | null;
}

export class ConferenceFeed {
  private readonly confs = new Map<string, ConfState>();
  private stopped = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly sockets: Sockets,
    /** How old the oldest event of a replay may be: beyond it, a snapshot. */
    private readonly retentionMs: number,
    private readonly on: {
      /** Every new event, before it is fanned out (the tally feed reacts to a vote's). */
      beforeFanOut(ev: RingEvent): void;
      /** And after (metrics). */
      afterFanOut(ev: RingEvent): void;
    },
  ) {}

  stop(): void {
    this.stopped = true;
  }

  get size(): number {
    return this.confs.size;
  }

  /** A vote's tally feed watches the log of its conference. */
  watch(conferenceId: string, voteId: string): void {
    const s = this.conf(conferenceId);
    s.voteWatchers.add(voteId);
    if (s.head === null) this.requestPull(s);
  }

  unwatch(conferenceId: string, voteId: string): void {
    const s = this.confs.get(conferenceId);
    if (s) {
      s.voteWatchers.delete(voteId);
      this.releaseConf(s);
    }
  }

  /** A NOTIFY said the log of this conference reached `seq`. */
  notified(conferenceId: string, seq: number): void {
    const s = this.confs.get(conferenceId);
    if (s && (s.head === null || !(seq <= s.head))) this.requestPull(s);
  }

  /** A lost notification, or a lost listener: read what is new for every conference watched here. */
  async catchUp(): Promise<void> {
    const rows = await conferenceHeads(this.ctx.db, [...this.confs.keys()]);
    for (const r of rows) {
      const s = this.confs.get(r.id);
      if (s && s.head !== null && Number(r.seq) > s.head) this.requestPull(s);
    }
  }

  private conf(id: string): ConfState {
    let s = this.confs.get(id);
    if (!s) {
      s = {
        id,
        topic: conferenceTopic(id),
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
      s.head = (await conferenceHead(this.ctx.db, s.id)) ?? 0;
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
    const rows = await eventsAfter(this.ctx.db, conferenceId, after, upTo, limit);
    const topic = conferenceTopic(conferenceId);
    return rows.map(({ seq, type, at, data }): RingEvent => {
      const pub = publicEvent(type, data);
      const msg: EventMessage = { type: 'event', topic, seq, event: pub.event, at, data: pub.data };
      return { seq, at, known: knownEvent(type, data), message: Buffer.from(JSON.stringify(msg)) };
    });
  }

  private deliver(s: ConfState, ev: RingEvent): void {
    // A vote's lifecycle event: its tally changes state now (and is final at close). The
    // load starts before the fan-out of the event, so that its query overlaps the sends.
    this.on.beforeFanOut(ev);
    for (const [conn, sub] of s.subs) {
      if (!sub.ready || sub.lastSeq >= ev.seq) continue;
      sub.lastSeq = ev.seq;
      this.sockets.sendControl(conn, ev.message);
    }
    this.on.afterFanOut(ev);
  }

  async attach(conn: Conn, conferenceId: string, after: number | undefined): Promise<void> {
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
        this.sockets.sendRaw(conn, e.message);
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
    this.sockets.sendRaw(conn, JSON.stringify(msg));
    sub.lastSeq = snap.seq;
    // The snapshot may be older than what the hub already read (it cannot be, but if it
    // were, the ring holds what follows): send the rest so that nothing is skipped.
    for (const e of s.ring) {
      if (e.seq > sub.lastSeq) {
        this.sockets.sendRaw(conn, e.message);
        sub.lastSeq = e.seq;
      }
    }
    sub.ready = true;
  }

  detach(conn: Conn, conferenceId: string): void {
    conn.conferences.delete(conferenceId);
    const s = this.confs.get(conferenceId);
    if (!s) return;
    s.subs.delete(conn);
    this.releaseConf(s);
  }
}
