/**
 * Who may change the structure of a conference. Authorization throws (never replies):
 * the role is checked first (401/403 without touching the database), then the
 * resource is loaded to learn its conference, then the account's conference binding.
 */
import type { FastifyRequest } from 'fastify';
import { sql } from 'drizzle-orm';
import { assertConference, requireRole, type Principal } from '../auth/principal.js';
import type { Role } from '../auth/tokens.js';
import { DomainError, notFound } from '../domain/errors.js';
import { rowsOf, type DbOrTx } from '../db/client.js';

/** Staff of this conference (or a global admin) with one of the roles. */
export function requireStaffOf(req: FastifyRequest, conferenceId: string, ...roles: Role[]): Principal {
  const p = requireRole(req, ...roles);
  assertConference(p, conferenceId);
  return p;
}

/** Things that exist for the whole service (a new conference, the party directory): global admins only. */
export function requireGlobalAdmin(req: FastifyRequest): Principal {
  const p = requireRole(req, 'admin');
  if (p.conferenceId !== null) {
    throw new DomainError(
      'forbidden',
      'global_admin_required',
      'Only an administrator of the whole service may do this.',
    );
  }
  return p;
}

/**
 * The chair or an admin of the delegate's conference, or the delegate themself: presence
 * and proxies are things a delegate may do from their own phone.
 */
export function requireStaffOrSelf(
  req: FastifyRequest,
  conferenceId: string,
  delegateId: string,
  staffRoles: Role[],
): Principal {
  const p = requireRole(req, ...staffRoles, 'delegate');
  assertConference(p, conferenceId);
  if (p.role === 'delegate' && p.delegateId !== delegateId) {
    throw new DomainError('forbidden', 'not_your_seat', 'A delegate may only do this for their own seat.');
  }
  return p;
}

/**
 * Locks the conference row for the rest of the transaction: agenda renumbering, the
 * current item and roster imports of one conference run one at a time (other
 * conferences are untouched). The event log takes the same row lock anyway.
 */
export async function lockConference(tx: DbOrTx, conferenceId: string): Promise<void> {
  const rows = rowsOf<{ id: string }>(
    await tx.execute(sql`select id from conferences where id = ${conferenceId} for update`),
  );
  if (rows.length === 0) throw notFound('conference', conferenceId);
}
