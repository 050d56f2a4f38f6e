/**
 * The durable-write ceiling: `tsx bench/ceiling-sql.ts <job.json>` prints one JSON result.
 *
 * Variant `insert` is the physical limit the issue asks for: the one statement with which
 * the service records a roll-call ballot (idempotency record + ballot + tally notification,
 * src/votes/ballot-service.ts), each in its own durable commit, through a pg pool of the
 * service's size, with 200 concurrent workers (each seat of the vote once).
 *
 * Variant `service-sql` replays every statement the service issues for one ballot, in the
 * same order and the same transaction shape, without HTTP: the session lookup
 * (src/auth/principal.ts), BEGIN, the head read FOR SHARE, the insert, COMMIT. The gap
 * between it and the burst is what the Node side costs; between it and `insert`, what the
 * extra round trips cost.
 *
 * On PGlite (one connection) the same statements run on the service's data folder, after
 * the service has stopped.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { TALLIES_CHANNEL } from '../src/votes/tally-snapshot.js';

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
  /** Runs fn on one connection inside BEGIN/COMMIT. */
  transaction(fn: (q: Runner['query']) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

async function openRunner(job: SqlJob): Promise<Runner> {
  if (job.db === 'postgres') {
    const pool = new pg.Pool({ connectionString: job.url, max: job.poolSize });
    pool.on('error', () => undefined);
    return {
      query: async <T>(text: string, params: unknown[]) => (await pool.query(text, params)).rows as T[],
      async transaction(fn) {
        const client = await pool.connect();
        try {
          await client.query('begin');
          await fn(async <T>(text: string, params: unknown[]) => (await client.query(text, params)).rows as T[]);
          await client.query('commit');
        } catch (err) {
          await client.query('rollback').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  }
  const db = await PGlite.create({ dataDir: path.join(job.dataDir!, 'pgdata') });
  return {
    query: async <T>(text: string, params: unknown[]) => (await db.query<T>(text, params)).rows,
    async transaction(fn) {
      await db.transaction(async (tx) => {
        await fn(async <T>(text: string, params: unknown[]) => (await tx.query<T>(text, params)).rows);
      });
    },
    close: () => db.close(),
  };
}

// The service's statements (src/votes/ballot-service.ts, src/auth/principal.ts), parameters numbered.
const INSERT = `
  with idem as (
    insert into idempotency_records (account_id, key, scope, request_hash, status, response)
    values ($1, $2, 'ballot', $3, 201, $4::jsonb)
    on conflict do nothing returning 1
  ), b as (
    insert into ballots (id, vote_id, seat_id, revision, yes, no, abstain, weight,
                         cast_by_account_id, cast_by_delegate_id, cast_via, cast_at, receipt)
    select $5::uuid, $6::uuid, $7::uuid, 1, 1, 0, 0, 1, $1::uuid, $7::uuid, 'self', $8::timestamptz, $9
    where exists (select 1 from idem)
    returning 1
  )
  select pg_notify($10, $11) from b`;

const SESSION = `
  select s.revoked_at, s.expires_at <= $1::timestamptz as expired, a.id as account_id, a.role, a.username,
         a.conference_id, a.delegate_id, a.disabled
  from sessions s join accounts a on a.id = s.account_id
  where s.id = $2`;

const HEAD = `
  select v.conference_id, v.state, v.mode, v.weighting, v.allow_change, v.deadline_at,
         s.seat_id, s.weight, s.castable_by_id,
         (select max(b.revision) from ballots b where b.vote_id = v.id and b.seat_id = s.seat_id) as last_revision,
         i.request_hash, i.status, i.response
  from votes v
  left join lateral (
    select seat_id, weight, castable_by_id from electorate_seats es
    where es.vote_id = v.id and case
      when $1::uuid is not null then es.seat_id = $1::uuid
      when v.weighting = 'delegate' then es.seat_id = $2::uuid
      else es.castable_by_id = $2::uuid end
    limit 1) s on true
  left join idempotency_records i on i.account_id = $3 and i.key = $4
  where v.id = $5
  for share of v`;

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
    const latencies: number[] = [];
    let errors = 0;
    let next = 0;
    const castOne = async (seat: (typeof seats)[number]) => {
      const ballotId = randomUUID();
      const key = randomBytes(16).toString('hex');
      const castAt = new Date().toISOString();
      const answer = JSON.stringify({ ballotId, receipt: hex(ballotId), castAt });
      const insertParams = [
        seat.account_id,
        hex(key),
        hex(`POST ${job.voteId}`),
        answer,
        ballotId,
        job.voteId,
        seat.seat_id,
        castAt,
        hex(`receipt:${ballotId}`),
        TALLIES_CHANNEL,
        `${seat.conference_id}:${job.voteId}`,
      ];
      if (job.variant === 'insert') {
        await db.query(INSERT, insertParams);
        return;
      }
      const [session] = await db.query<{ account_id: string }>(SESSION, [castAt, seat.session_id]);
      if (!session) throw new Error('no session');
      await db.transaction(async (q) => {
        const [head] = await q<{ state: string }>(HEAD, [null, seat.seat_id, seat.account_id, hex(key), job.voteId]);
        if (head?.state !== 'open') throw new Error('vote not open');
        await q(INSERT, insertParams);
      });
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
