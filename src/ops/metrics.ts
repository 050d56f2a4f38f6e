/**
 * GET /metrics in the Prometheus text format (prom-client), for whoever watches the hall's
 * infrastructure. Each instance reports its own process: scrape every instance directly,
 * not through the balancer (deploy/haproxy.cfg refuses /metrics from outside).
 *
 * Not public: without METRICS_TOKEN the route answers 404; with it, a scraper sends
 * `Authorization: Bearer <METRICS_TOKEN>` (Prometheus: `authorization.credentials_file`).
 * The registry is this app's own (not prom-client's global one), so that several apps in
 * one process (tests, the benchmark) count apart.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { logHeads } from './ops-repository.js';
import { DomainError } from '../domain/errors.js';
import { errors } from '../http/schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route checks its own Authorization header (not an account's bearer token). */
    ownAuthorization?: boolean;
  }
}

const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const FANOUT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Every route that casts a ballot (roll-call and secret, elections): POST .../ballots. */
const isBallotRoute = (req: FastifyRequest) => req.method === 'POST' && /\/ballots$/.test(req.routeOptions.url ?? '');

const digest = (s: string) => createHash('sha256').update(s).digest();

export function registerMetrics(app: App, ctx: AppContext): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const accepted = new Counter({
    name: 'plenary_ballots_accepted_total',
    help: 'Ballots stored and answered 201 (replays of an Idempotency-Key are not counted again).',
    registers: [registry],
  });
  const replayed = new Counter({
    name: 'plenary_ballots_replayed_total',
    help: 'Retries answered with the stored receipt of an earlier ballot (Idempotency-Key).',
    registers: [registry],
  });
  const refused = new Counter({
    name: 'plenary_ballots_refused_total',
    help: 'Ballots refused, by HTTP status and problem code.',
    labelNames: ['status', 'code'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'plenary_http_request_duration_seconds',
    help: 'Time from the request read to the answer sent, by route (its template) and status class.',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const fanOut = new Histogram({
    name: 'plenary_live_fanout_delay_seconds',
    help: "From a control event's write (just before its commit) to its fan-out to this instance's sockets.",
    buckets: FANOUT_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'plenary_live_sockets',
    help: 'Open WebSocket connections on /live.',
    registers: [registry],
    collect() {
      this.set(app.liveHub?.connectionCount ?? 0);
    },
  });
  new Gauge({
    name: 'plenary_live_subscriptions',
    help: 'Topics (conferences and votes) subscribed over all sockets.',
    registers: [registry],
    collect() {
      this.set(app.liveHub?.subscriptionCount ?? 0);
    },
  });
  const pool = ctx.database.pool;
  new Gauge({
    name: 'plenary_db_pool_connections',
    help: 'PostgreSQL pool connections by state (the embedded database has one connection and no pool).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      if (!pool) return;
      this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
      this.set({ state: 'idle' }, pool.idleCount);
    },
  });
  new Gauge({
    name: 'plenary_db_pool_waiting',
    help: 'Queries waiting for a PostgreSQL pool connection.',
    registers: [registry],
    collect() {
      this.set(pool?.waitingCount ?? 0);
    },
  });
  new Gauge({
    name: 'plenary_event_log_head',
    help: "The last sequence number of each conference's event log (what a resuming observer catches up to).",
    labelNames: ['conference'],
    registers: [registry],
    async collect() {
      const rows = await logHeads(ctx.db);
      this.reset();
      for (const r of rows) this.set({ conference: r.id }, r.seq);
    },
  });

  app.addHook('onReady', async () => {
    if (app.liveHub) {
      app.liveHub.onFanOut = (at) => {
        const ms = Date.now() - Date.parse(at);
        if (Number.isFinite(ms)) fanOut.observe(Math.max(0, ms) / 1000);
      };
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (!isBallotRoute(req)) return payload;
    if (reply.statusCode === 201) {
      (reply.getHeader('idempotent-replayed') === 'true' ? replayed : accepted).inc();
    } else {
      refused.inc({ status: String(reply.statusCode), code: problemCode(payload) });
    }
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    latency.observe(
      {
        method: req.method,
        route: req.routeOptions.url ?? 'unmatched',
        status: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
  });

  const token = ctx.config.metricsToken;
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics of this instance (Authorization: Bearer METRICS_TOKEN; 404 when not set)',
        security: [{ bearer: [] }],
        response: { 200: z.string(), ...errors(401, 404) },
      },
      config: { ownAuthorization: true },
    },
    async (req, reply) => {
      if (!token) {
        throw new DomainError('not_found', 'metrics_disabled', 'Metrics are off: set METRICS_TOKEN to turn them on.');
      }
      const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!given || !timingSafeEqual(digest(given), digest(token))) {
        throw new DomainError(
          'unauthenticated',
          'invalid_metrics_token',
          'Send Authorization: Bearer <METRICS_TOKEN>.',
        );
      }
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  );
}

/** The `code` of a problem+json answer (the payload is already serialized). */
function problemCode(payload: unknown): string {
  if (typeof payload !== 'string') return 'unknown';
  try {
    const code = (JSON.parse(payload) as { code?: unknown }).code;
    return typeof code === 'string' ? code : 'unknown';
  } catch {
    return 'unknown';
  }
}
