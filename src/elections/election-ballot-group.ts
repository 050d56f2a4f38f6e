/**
 * Group transaction of election ballots. An election ballot is several statements (its
 * idempotency record, the election row, the seat and what it cast, participation, content,
 * the stored answer, the live count's notice), and on the embedded database every
 * transaction runs after the one before it and pays its own commit: in a hall that casts
 * faster than one transaction's time, ballots queued for seconds (docs/performance.md).
 *
 * Ballots that arrive while a group is being written are queued; the next group takes them
 * (up to `maxSize`), opens ONE transaction and runs each ballot's own work, unchanged, one
 * after another, then commits once. What each ballot gets:
 *
 * - written: its answer, sent only after the group's commit ("acknowledged means durable");
 * - refused before it wrote anything (a DomainError: already voted, not entitled, closed, a
 *   bad ballot, a key reused for another request): its own error, and its neighbours go on.
 *   It left nothing behind, so no savepoint is needed (on the embedded database each
 *   statement costs as much as a commit: a savepoint per ballot would cost what the group
 *   saves). The refusal too is sent only after the commit, because it may rest on a
 *   neighbour's row (the seat's first ballot, the twin that stored the key's answer);
 * - anything else (an error after the ballot began writing; a unique index lost to another
 *   writer, a deadlock: PostgreSQL only, the embedded database has no other writer): the
 *   group's transaction is rolled back, and every ballot of the group takes its own
 *   transaction (`alone`, the path every ballot took before), which has the exact answer
 *   for every race. The same when the commit itself fails. None was acknowledged, and none
 *   is written twice: its idempotency record and the seat's unique index say so to the retry.
 *
 * The group changes no isolation on the embedded database: it has one connection and ran
 * the same transactions one after another already. Each ballot still writes participation
 * and content as separate statements (secrecy: no statement links the voter to the
 * content); several ballots' rows in one transaction are no more linked than one ballot's.
 */
import { DomainError } from '../domain/errors.js';
import type { Database, Tx } from '../db/client.js';
import { GroupWriteQueue, type GroupWriteSettings } from '../db/group-write-queue.js';
import { notifyElectionCount, shareElections } from './election-repository.js';
import type { ElectionRow } from './election-views.js';

export type GroupSettings = GroupWriteSettings;

/** What a group did, for tests and operators. */
export interface GroupReport {
  size: number;
  /** Ballots whose work was committed by the group. */
  written: number;
  /** Ballots refused inside the group (their own error, after the commit). */
  refused: number;
  /** Ballots sent to their own transaction after the group (the group was undone). */
  alone: number;
}

/**
 * What a ballot's work gets from its group: the election row the group holds FOR SHARE
 * (nothing can change it before the group commits, so every ballot reads the row it would
 * have read; undefined if there is no such election), `writing`, and `counted`, which replaces the
 * ballot's own notice to the live count: the group sends one per election it wrote to.
 */
export interface GroupScope {
  election: ElectionRow | undefined;
  /** Called before the ballot's first write: an error after it undoes the whole group. */
  writing(): void;
  counted(): void;
}

interface Pending {
  electionId: string;
  attempt(tx: Tx, scope: GroupScope): Promise<unknown>;
  alone(): Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { kind: 'written'; value: unknown } | { kind: 'refused'; err: DomainError } | { kind: 'alone' };

export class ElectionBallotGroup {
  private readonly queue: GroupWriteQueue<Pending>;
  private readonly listeners = new Set<(r: GroupReport) => void>();

  constructor(
    private readonly database: Database,
    settings: GroupSettings,
  ) {
    this.queue = new GroupWriteQueue(database, settings, (group) => this.write(group));
  }

  /**
   * Runs `attempt` in the next group's transaction and resolves
   * with its value after the commit; `alone` is the ballot's own transaction, taken when the
   * group cannot give the exact answer.
   */
  submit<T>(
    electionId: string,
    attempt: (tx: Tx, scope: GroupScope) => Promise<T>,
    alone: () => Promise<T>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ electionId, attempt, alone, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /** Ballots waiting for a group to start. */
  get queued(): number {
    return this.queue.queued;
  }

  /** Calls `listener` after every group; returns the function that stops it. */
  observe(listener: (r: GroupReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for every queued and in-flight group. */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  private async write(group: Pending[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.database.db.transaction(async (tx) => {
        // The group shares each election's row once (sorted: two groups never wait on each
        // other's order); every ballot's own FOR SHARE then finds it held by its transaction
        // and waits for nothing. No ballot commits after a close, as before: the close
        // takes the row FOR UPDATE.
        const rows = await shareElections(tx, [...new Set(group.map((p) => p.electionId))].sort());
        const counted = new Set<ElectionRow>();
        const out: Outcome[] = [];
        for (const p of group) {
          const election = rows.get(p.electionId);
          let wrote = false;
          let changed = false;
          const scope: GroupScope = { election, writing: () => (wrote = true), counted: () => (changed = true) };
          try {
            out.push({ kind: 'written', value: await p.attempt(tx, scope) });
            if (changed && election) counted.add(election);
          } catch (err) {
            if (!(err instanceof DomainError) || wrote) throw err; // undo the group: each ballot goes alone
            out.push({ kind: 'refused', err });
          }
        }
        // At the commit, as each ballot's own notice was; the hub reads the count itself.
        for (const e of counted) await notifyElectionCount(tx, e);
        return out;
      });
    } catch {
      outcomes = group.map(() => ({ kind: 'alone' }));
    }
    const report: GroupReport = { size: group.length, written: 0, refused: 0, alone: 0 };
    group.forEach((p, i) => {
      const o = outcomes[i]!;
      report[o.kind]++;
      if (o.kind === 'written') p.resolve(o.value);
      else if (o.kind === 'refused') p.reject(o.err);
      else p.alone().then(p.resolve, p.reject);
    });
    for (const l of this.listeners) l(report);
  }
}

const groups = new WeakMap<Database, ElectionBallotGroup>();

/** The one group of a service's database (created on its first ballot). */
export function ballotGroupOf(database: Database, settings: GroupSettings): ElectionBallotGroup {
  let g = groups.get(database);
  if (!g) groups.set(database, (g = new ElectionBallotGroup(database, settings)));
  return g;
}
