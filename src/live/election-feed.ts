/**
 * An election on the live channel, topic `election:<id>`: how many ballots the current round
 * has received, never what they say. A running STV count, or even running approvals, would
 * steer the last voters and, in a small round, name a voter's choice; so the message carries
 * counts of papers only, and the elected once the election is closed (the signed record says
 * the rest, and `election.closed` on the conference topic carries it).
 *
 * The ballot, paper-batch and lifecycle transactions NOTIFY `plenary_tallies` with
 * `<conferenceId>:<electionId>` (`:now` for a lifecycle change, which is loaded at once);
 * otherwise an election's count is loaded at most once per liveTallyIntervalMs, once for all
 * its subscribers, and the newest is always sent. The hub's periodic catch-up reloads every
 * election not yet final, so a lost notification costs one interval, not the update.
 */
import type { AppContext } from '../app-context.js';
import type { DbOrTx } from '../db/client.js';
import { conferencesOfElections, electionCountRow } from './live-repository.js';
import type { ElectionCountData, ElectionCountMessage } from './protocol.js';

const STATE_RANK = { draft: 0, open: 1, counting: 2, closed: 3, cancelled: 4 } as const;

/**
 * Orders the counts of one election: a later round, more papers in all, or a later state
 * is newer. Papers are never removed, so a load never goes back in this order.
 */
const versionOf = (round: number, total: number, state: ElectionCountData['state']) =>
  (round * 2 ** 32 + total) * 5 + STATE_RANK[state];

/**
 * One query: the election's state and its papers (this round, and all rounds for the version).
 * A secret_e2e election has no choice rows: its count is of the seats that cast (participation,
 * which is all the board may show of it), from the participation rows.
 */
export async function loadElectionCount(
  db: DbOrTx,
  electionId: string,
): Promise<{ data: ElectionCountData; version: number } | null> {
  const r = await electionCountRow(db, electionId);
  if (!r) return null;
  const round = Number(r.round);
  const data: ElectionCountData = {
    electionId,
    conferenceId: r.conference_id,
    state: r.state,
    mode: r.mode,
    round,
    ballots: Number(r.ballots),
    elected: r.state === 'closed' && Array.isArray(r.elected) ? r.elected : null,
    final: r.state === 'closed' || r.state === 'cancelled',
  };
  return { data, version: versionOf(round, Number(r.total), r.state) };
}

interface Watched<C> {
  electionId: string;
  topic: string;
  subs: Set<C>;
  last: { version: number; message: Buffer; final: boolean } | null;
  timer: NodeJS.Timeout | null;
  loading: boolean;
  dirty: boolean;
  urgent: boolean;
  lastLoadAt: number;
  initial: Promise<void> | null;
}

/** The elections watched on this instance, for the hub's sockets (C: the hub's connection). */
export class ElectionFeed<C extends object> {
  private readonly watched = new Map<string, Watched<C>>();
  /** conn -> electionId -> version of the last count sent to it. */
  private readonly sent = new Map<C, Map<string, number>>();
  /** An election's conference (it never changes), for authorizing a subscription. */
  private readonly conferenceOfElection = new Map<string, string>();
  private stopped = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly send: (conn: C, data: Buffer) => void,
  ) {}

  /** Looks up the conferences of elections not seen yet (one query for the whole message). */
  async resolve(electionIds: string[]): Promise<void> {
    const missing = [...new Set(electionIds)].filter((id) => !this.conferenceOfElection.has(id));
    if (!missing.length) return;
    const rows = await conferencesOfElections(this.ctx.db, missing);
    if (this.conferenceOfElection.size > 50_000) this.conferenceOfElection.clear();
    for (const r of rows) this.conferenceOfElection.set(r.id, r.conferenceId);
  }

  /** After resolve(): the election's conference, or undefined for no such election. */
  conferenceOf(electionId: string): string | undefined {
    return this.conferenceOfElection.get(electionId);
  }

  has(conn: C, electionId: string): boolean {
    return this.sent.get(conn)?.has(electionId) ?? false;
  }

  countOf(conn: C): number {
    return this.sent.get(conn)?.size ?? 0;
  }

  get subscriptionCount(): number {
    let n = 0;
    for (const m of this.sent.values()) n += m.size;
    return n;
  }

  async attach(conn: C, electionId: string): Promise<void> {
    let w = this.watched.get(electionId);
    if (!w) {
      w = {
        electionId,
        topic: `election:${electionId}`,
        subs: new Set(),
        last: null,
        timer: null,
        loading: false,
        dirty: false,
        urgent: false,
        lastLoadAt: 0,
        initial: null,
      };
      this.watched.set(electionId, w);
    }
    w.subs.add(conn);
    let mine = this.sent.get(conn);
    if (!mine) this.sent.set(conn, (mine = new Map()));
    mine.set(electionId, -1);
    if (!w.last) {
      w.initial ??= this.loadInitial(w);
      await w.initial;
    }
    if (w.last) this.deliver(conn, w, w.last.version, w.last.message);
  }

  private async loadInitial(w: Watched<C>): Promise<void> {
    try {
      await this.load(w);
    } finally {
      w.initial = null;
    }
  }

  detach(conn: C, electionId: string): void {
    const mine = this.sent.get(conn);
    mine?.delete(electionId);
    if (mine?.size === 0) this.sent.delete(conn);
    const w = this.watched.get(electionId);
    if (!w) return;
    w.subs.delete(conn);
    if (w.subs.size === 0) {
      if (w.timer) clearTimeout(w.timer);
      this.watched.delete(electionId);
    }
  }

  /** A socket went away. */
  drop(conn: C): void {
    for (const id of [...(this.sent.get(conn)?.keys() ?? [])]) this.detach(conn, id);
  }

  /** A `plenary_tallies` payload that is not a vote's: `<conferenceId>:<electionId>[:now]`. */
  onNotify(payload: string): void {
    const [, electionId, now] = payload.split(':');
    const w = electionId ? this.watched.get(electionId) : undefined;
    if (w) this.schedule(w, now === 'now');
  }

  /** The hub's periodic catch-up: anything not final may have missed a notification. */
  catchUp(): void {
    for (const w of this.watched.values()) if (!w.last?.final) this.schedule(w);
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watched.values()) if (w.timer) clearTimeout(w.timer);
  }

  private schedule(w: Watched<C>, immediate = false): void {
    if (this.stopped || this.watched.get(w.electionId) !== w) return;
    if (w.loading) {
      w.dirty = true;
      if (immediate) w.urgent = true;
      return;
    }
    if (w.timer && !immediate) return;
    if (w.timer) clearTimeout(w.timer);
    w.timer = null;
    if (immediate) {
      void this.loadAndBroadcast(w);
      return;
    }
    const wait = Math.max(0, w.lastLoadAt + this.ctx.config.liveTallyIntervalMs - Date.now());
    w.timer = setTimeout(() => {
      w.timer = null;
      void this.loadAndBroadcast(w);
    }, wait);
    w.timer.unref();
  }

  private async loadAndBroadcast(w: Watched<C>): Promise<void> {
    if (this.stopped || this.watched.get(w.electionId) !== w) return;
    w.loading = true;
    w.dirty = false;
    w.urgent = false;
    w.lastLoadAt = Date.now();
    try {
      const kept = await this.load(w);
      if (kept) for (const conn of w.subs) this.deliver(conn, w, kept.version, kept.message);
    } catch (err) {
      if (!this.stopped) this.ctx.log.error({ err, electionId: w.electionId }, 'live: election count load failed');
    } finally {
      w.loading = false;
    }
    if (w.dirty) this.schedule(w, w.urgent);
  }

  /** Loads the count and keeps it as the newest (encoded once); null when it is not newer. */
  private async load(w: Watched<C>): Promise<Watched<C>['last']> {
    const loaded = await loadElectionCount(this.ctx.db, w.electionId);
    if (!loaded || (w.last && loaded.version <= w.last.version)) return null;
    const msg: ElectionCountMessage = { type: 'count', topic: w.topic, version: loaded.version, data: loaded.data };
    w.last = { version: loaded.version, message: Buffer.from(JSON.stringify(msg)), final: loaded.data.final };
    return w.last;
  }

  private deliver(conn: C, w: Watched<C>, version: number, message: Buffer): void {
    const mine = this.sent.get(conn);
    const had = mine?.get(w.electionId);
    if (had === undefined || had >= version) return;
    mine!.set(w.electionId, version);
    this.send(conn, message);
  }
}
