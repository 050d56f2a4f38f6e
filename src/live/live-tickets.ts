/**
 * Single-use WebSocket tickets. A browser cannot put a bearer token on a WebSocket
 * upgrade, and a token in a URL ends up in proxy logs; a ticket is short-lived (30 s),
 * works once, and only its SHA-256 is stored. Consuming one is a single UPDATE ... WHERE
 * used_at IS NULL, so two instances racing on the same ticket cannot both accept it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { AppContext } from '../app-context.js';
import { rowsOf } from '../db/client.js';
import { liveTickets } from '../db/schema.js';
import type { Role } from '../auth/tokens.js';

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
  await ctx.db.insert(liveTickets).values({
    ticketHash: hashTicket(ticket),
    accountId: who.accountId,
    sessionId: who.sessionId,
    expiresAt,
    createdAt: now,
  });
  // Keep the table small without a job of its own: old tickets are useless after 30 s.
  if (Math.random() < 0.02) {
    await ctx.db
      .execute(sql`delete from live_tickets where expires_at < ${new Date(now.getTime() - 3600_000)}`)
      .catch(() => undefined);
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
  const [row] = rowsOf<{
    account_id: string;
    session_id: string;
    role: Role;
    conference_id: string | null;
    delegate_id: string | null;
    disabled: boolean;
    revoked_at: Date | string | null;
    session_expires_at: Date | string;
  }>(
    await ctx.db.execute(sql`
      with used as (
        update live_tickets set used_at = ${now}
        where ticket_hash = ${hashTicket(ticket)} and used_at is null and expires_at > ${now}
        returning account_id, session_id)
      select u.account_id, u.session_id, a.role, a.conference_id, a.delegate_id, a.disabled,
             s.revoked_at, s.expires_at as session_expires_at
      from used u join accounts a on a.id = u.account_id join sessions s on s.id = u.session_id`),
  );
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
