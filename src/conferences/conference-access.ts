/** Who may read a conference: anyone when it is public, its own accounts (and admins) when private. */
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { DomainError, notFound } from '../domain/errors.js';
import type { Principal } from '../auth/principal.js';
import { readConference, type ConferenceRow } from './conference-repository.js';

export type { ConferenceRow };

/** The conference row, 404 when there is none (the name other modules read it by). */
export const loadConference = readConference;

export function canRead(p: Principal | null, c: Pick<ConferenceRow, 'id' | 'visibility'>): boolean {
  if (c.visibility === 'public') return true;
  if (!p) return false;
  return (p.role === 'admin' && p.conferenceId === null) || p.conferenceId === c.id;
}

/** A private conference answers 404 to outsiders, so that its existence does not leak. */
export async function assertReadable(
  ctx: AppContext,
  req: FastifyRequest,
  conferenceId: string,
): Promise<ConferenceRow> {
  const c = await loadConference(ctx.db, conferenceId);
  if (!canRead(req.principal, c)) {
    if (!req.principal)
      throw new DomainError('unauthenticated', 'authentication_required', 'This conference is private: sign in first.');
    throw notFound('conference', conferenceId);
  }
  return c;
}
