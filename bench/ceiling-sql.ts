/**
 * The durable-write ceiling: `tsx bench/ceiling-sql.ts <job.json>` prints one JSON result.
 *
 * Variant `insert` is the physical limit the issue asks for: the statement with which the
 * service records a roll-call ballot (idempotency record + ballot + tally notification,
 * ballotWrite in src/votes/ballot-service.ts, rendered by drizzle exactly as the service
 * sends it), each in its own durable commit, through a pg pool of the service's size, with
 * 200 concurrent workers (each seat of the vote once).
 *
 * Variant `service-sql` is all the SQL the service issues for a delegate's ballot: the
 * fast path's one statement (ownBallotWrite), which adds to the insert the checks of the
 * session, the vote's state and deadline and the seat's earlier ballots. The gap between
 * it and the burst is what the Node side (HTTP, token, JSON) costs; between it and
 * `insert`, what those checks cost.
 *
 * On PGlite (one connection) the same statements run on the service's data folder, after
 * the service has stopped.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { PgDialect } from 'drizzle-orm/pg-core';
import { ballotWrite, ownBallotWrite } from '../src/votes/ballot-service.js';
import type { OpenVoteFacts } from '../src/votes/open-vote-cache.js';

export interface SqlJob {
  db: 'postgres' | 'pglite';
  url?: string;
  dataDir?: string;
  poolSize: number;
  workers: number;
  variant: 'insert' | 'service-sql';
  voteId: string;
}

export interface SqlResult {
  variant: SqlJob['variant'];
  inserts: number;
  errors: number;
  elapsedMs: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
}

interface Runner {
  query<T>(text: string, params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

async function openRunner(job: SqlJob): Promise<Runner> {
  if (job.db === 'postgres') {
    const pool = new pg.Pool({ connectionString: job.url, max: job.poolSize });
    pool.on('error', () => undefined);
    // Named, as the service sends its ballot statement (Database.executePrepared): parsed and planned once per connection.
    const names = new Map<string, string>();
    return {
      query: async <T>(text: string, params: unknown[]) => {
        const name = names.get(text) ?? names.set(text, `ceiling_${names.size + 1}`).get(text)!;
        return (await pool.query({ name, text, values: params })).rows as T[];
      },
      close: () => pool.end(),
    };
  }
  const db = await PGlite.create({ dataDir: path.join(job.dataDir!, 'pgdata') });
  return {
    query: async <T>(text: string, params: unknown[]) => (await db.query<T>(text, params)).rows,
    close: () => db.close(),
  };
}

const dialect = new PgDialect();
const hex = (s: string) => createHash('sha256').update(s).digest('hex');

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as SqlJob;
  const db = await openRunner(job);
  try {
    const seats = await db.query<{ seat_id: string; account_id: string; session_id: string; conference_id: string }>(
      `select es.seat_id, a.id as account_id, v.conference_id,
              (select s.id from sessions s where s.account_id = a.id order by s.created_at desc limit 1) as session_id
       from electorate_seats es join votes v on v.id = es.vote_id join accounts a on a.delegate_id = es.seat_id
       where es.vote_id = $1`,
      [job.voteId],
    );
    const facts: OpenVoteFacts = {
      conferenceId: seats[0]?.conference_id ?? '',
      mode: 'roll_call',
      weighting: 'delegate',
      seatWeights: new Map(seats.map((seat) => [seat.seat_id, 1])),
    };
    const latencies: number[] = [];
    let errors = 0;
    let next = 0;
    const castOne = async (seat: (typeof seats)[number]) => {
      const now = new Date();
      const idem = {
        accountId: seat.account_id,
        key: randomBytes(16).toString('hex'),
        scope: 'ballot',
        requestHash: hex(`POST /api/v1/votes/${job.voteId}/ballots`),
      };
      const claims = {
        accountId: seat.account_id,
        sessionId: seat.session_id,
        role: 'delegate' as const,
        conferenceId: facts.conferenceId,
        delegateId: seat.seat_id,
      };
      const write =
        job.variant === 'insert'
          ? ballotWrite(
              {
                voteId: job.voteId,
                conferenceId: facts.conferenceId,
                mode: 'roll_call',
                seatId: seat.seat_id,
                revision: 1,
                weight: 1,
                split: { yes: 1, no: 0, abstain: 0 },
                castVia: 'self',
                accountId: seat.account_id,
                castByDelegateId: seat.seat_id,
                castAt: now,
              },
              idem,
            )
          : ownBallotWrite(facts, claims, job.voteId, 'yes', idem, now, job.db === 'postgres');
      if (!write) throw new Error('the fast path refused this seat');
      // Roll call only: a secret vote would add the choices statement (BallotWrite.choices).
      const query = dialect.sqlToQuery(write.ballot);
      const written = await db.query(query.sql, query.params);
      if (written.length !== 1) throw new Error('nothing written');
    };
    const worker = async () => {
      while (next < seats.length) {
        const seat = seats[next++]!;
        const t = performance.now();
        try {
          await castOne(seat);
          latencies.push(performance.now() - t);
        } catch (err) {
          if (errors++ === 0) process.stderr.write(`ceiling-sql: ${String(err)}\n`);
        }
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: Math.min(job.workers, seats.length) }, worker));
    const elapsedMs = performance.now() - t0;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    const out: SqlResult = {
      variant: job.variant,
      inserts: latencies.length,
      errors,
      elapsedMs,
      perSecond: (latencies.length / elapsedMs) * 1000,
      latencyMs: { p50: pct(50), p99: pct(99), max: latencies.at(-1) ?? 0 },
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ceiling-sql failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
