/**
 * The live channel: POST /api/v1/live/tickets and the WebSocket GET /live.
 * Everything that can refuse a connection (Origin, ticket) runs in a hook before the
 * upgrade, so a refused client gets a plain HTTP problem and never a socket.
 */
import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors } from '../http/schemas.js';
import { DomainError } from '../domain/errors.js';
import { requireAccount } from '../auth/principal.js';
import { consumeTicket, issueTicket } from './live-tickets.js';
import { LiveHub, type SocketPrincipal } from './live-hub.js';
import { LIVE_LIMITS } from './protocol.js';
import { loadTallySnapshot } from '../votes/tally-snapshot.js';
import type { TallyLoader } from './tally-source.js';

declare module 'fastify' {
  interface FastifyRequest {
    livePrincipal?: SocketPrincipal | null;
  }
  interface FastifyInstance {
    /** This instance's live hub (tests and the benchmark look at it). */
    liveHub: LiveHub;
  }
}

export interface LiveRouteOptions {
  loadTally?: TallyLoader;
  heartbeatMs?: number;
  sessionCheckMs?: number;
}

/** Browsers send Origin on every WebSocket upgrade; other clients usually send none. */
export function originAllowed(req: FastifyRequest, allowList: string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowList.includes(origin)) return true;
  // Same origin: the page was served by this host (Host as the browser sent it).
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

const ticketAnswer = z
  .object({
    ticket: z.string().describe('Single use; pass as /live?ticket=... within 30 seconds.'),
    expiresAt: z.string(),
  })
  .meta({ id: 'LiveTicket' });

/** The voting engine's snapshot; a vote that is gone (it cannot be: votes are never deleted) is null. */
const engineTallyLoader: TallyLoader = async (db, voteId) => {
  try {
    return await loadTallySnapshot(db, voteId);
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'not_found') return null;
    throw err;
  }
};

export async function registerLiveRoutes(app: App, ctx: AppContext, opts: LiveRouteOptions = {}): Promise<LiveHub> {
  const hub = new LiveHub(ctx, {
    loadTally: opts.loadTally ?? engineTallyLoader,
    ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
    ...(opts.sessionCheckMs ? { sessionCheckMs: opts.sessionCheckMs } : {}),
  });

  await app.register(websocket, {
    options: { maxPayload: LIVE_LIMITS.maxPayloadBytes },
    // Replaces the plugin's default: our sockets get 1001 with a reason, and LISTEN stops.
    preClose: async function () {
      await hub.stop();
      // Give clients a moment to answer the close handshake, then cut off the rest.
      const deadline = Date.now() + 1000;
      while (app.websocketServer.clients.size > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const client of app.websocketServer.clients) client.terminate();
      await new Promise<void>((resolve) => app.websocketServer.close(() => resolve()));
    },
  });
  app.decorate('liveHub', hub);
  app.addHook('onReady', async () => {
    await hub.start();
  });

  app.post(
    '/api/v1/live/tickets',
    {
      schema: {
        tags: ['live'],
        summary: 'A single-use ticket for the WebSocket /live (valid 30 seconds)',
        description:
          'Browsers cannot send a bearer token on a WebSocket upgrade; exchange it here for a ticket and connect to ' +
          '`/live?ticket=...`. The socket is closed (4001/4002) when the session is revoked or expires.',
        security: [{ bearer: [] }],
        response: { 201: ticketAnswer, ...errors(401) },
      },
      config: { access: 'account' },
    },
    async (req, reply) => {
      const p = requireAccount(req);
      const t = await issueTicket(ctx, p);
      return reply.code(201).send({ ticket: t.ticket, expiresAt: t.expiresAt.toISOString() });
    },
  );

  app.get(
    '/live',
    {
      websocket: true,
      config: { rateLimit: false },
      onRequest: async (req) => {
        if (!originAllowed(req, ctx.config.publicOrigins)) {
          throw new DomainError('forbidden', 'origin_not_allowed', 'This Origin may not open the live channel.');
        }
        const q = req.query as Record<string, unknown>;
        const ticket = q.ticket;
        if (ticket === undefined) {
          req.livePrincipal = null;
          return;
        }
        if (typeof ticket !== 'string') throw new DomainError('unauthenticated', 'invalid_ticket', 'One ticket only.');
        const r = await consumeTicket(ctx, ticket);
        if (!r.ok) {
          const detail =
            r.code === 'invalid_ticket'
              ? 'The ticket is unknown, used or expired; get a new one from POST /api/v1/live/tickets.'
              : r.code === 'session_revoked'
                ? 'The session behind this ticket was signed out.'
                : 'The session behind this ticket has expired.';
          throw new DomainError('unauthenticated', r.code, detail);
        }
        req.livePrincipal = r.principal;
      },
    },
    (socket, req) => {
      // A bearer header on the upgrade (non-browser clients) works as well as a ticket.
      const p = req.livePrincipal ?? req.principal;
      hub.accept(
        socket,
        p
          ? {
              accountId: p.accountId,
              sessionId: p.sessionId,
              role: p.role,
              conferenceId: p.conferenceId,
              delegateId: p.delegateId,
            }
          : null,
      );
    },
  );

  return hub;
}
