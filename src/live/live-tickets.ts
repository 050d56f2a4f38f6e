/**
 * Single-use WebSocket tickets. A browser cannot put a bearer token on a WebSocket
 * upgrade, and a token in a URL ends up in proxy logs; a ticket is short-lived (30 s),
 * works once, and only its SHA-256 is stored. Consuming one is a single UPDATE ... WHERE
 * used_at IS NULL, so two instances racing on the same ticket cannot both accept it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import type { Role } from '../auth/tokens.js';
import { deleteTicketsExpiredBefore, insertTicket, useTicket } from './live-repository.js';

export const TICKET_TTL_SECONDS = 30;

export interface LivePrincipal {
  accountId: string;
  sessionId: string;
  role: Role;
  conferenceId: string | null;
  delegateId: string | null;
  sessionExpiresAt: Date;
}

const hashTicket = (ticket: string) => createHash('sha256').update(ticket, 'utf8').digest('hex');

export async function issueTicket(
  ctx: AppContext,
  who: { accountId: string; sessionId: string },
): Promise<{ ticket: string; expiresAt: Date }> {
  const now = ctx.clock();
  const ticket = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + TICKET_TTL_SECONDS * 1000);
  await insertTicket(ctx.db, {
    ticketHash: hashTicket(ticket),
    accountId: who.accountId,
    sessionId: who.sessionId,
    expiresAt,
    createdAt: now,
  });
  // Keep the table small without a job of its own: old tickets are useless after 30 s.
  if (Math.random() < 0.02) {
    await deleteTicketsExpiredBefore(ctx.db, new Date(now.getTime() - 3600_000)).catch(() => undefined);
  }
  return { ticket, expiresAt };
}

export type TicketCheck =
  | { ok: true; principal: LivePrincipal }
  | { ok: false; code: 'invalid_ticket' | 'session_revoked' | 'session_expired' };

/** Marks the ticket used and returns who it belongs to; any second use fails. */
export async function consumeTicket(ctx: AppContext, ticket: string): Promise<TicketCheck> {
  if (ticket.length < 20 || ticket.length > 100) return { ok: false, code: 'invalid_ticket' };
  const now = ctx.clock();
  const row = await useTicket(ctx.db, hashTicket(ticket), now);
  if (!row) return { ok: false, code: 'invalid_ticket' };
  if (row.revoked_at || row.disabled) return { ok: false, code: 'session_revoked' };
  const sessionExpiresAt = new Date(row.session_expires_at);
  if (sessionExpiresAt.getTime() <= now.getTime()) return { ok: false, code: 'session_expired' };
  return {
    ok: true,
    principal: {
      accountId: row.account_id,
      sessionId: row.session_id,
      role: row.role,
      conferenceId: row.conference_id,
      delegateId: row.delegate_id,
      sessionExpiresAt,
    },
  };
}
