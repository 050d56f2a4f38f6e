/**
 * The session watch: a socket lives no longer than the session behind it. One query for
 * every authenticated socket of this instance, every sessionCheckMs.
 */
import type { AppContext } from '../app-context.js';
import type { Conn } from './live-connection.js';
import { sessionStates } from './live-repository.js';
import { CLOSE_CODES } from './protocol.js';

export type SessionEnd = (
  conn: Conn,
  notice: 'session_revoked' | 'session_expired',
  code: number,
  message: string,
) => void;

export async function checkSessions(
  ctx: AppContext,
  conns: Iterable<Conn>,
  endSession: SessionEnd,
  stopped: () => boolean,
): Promise<void> {
  const authed = [...conns].filter((c) => c.principal);
  if (stopped() || authed.length === 0) return;
  const ids = [...new Set(authed.map((c) => c.principal!.sessionId))];
  try {
    const rows = await sessionStates(ctx.db, ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const now = ctx.clock().getTime();
    for (const conn of authed) {
      const r = byId.get(conn.principal!.sessionId);
      if (!r || r.revokedAt || r.disabled) {
        endSession(conn, 'session_revoked', CLOSE_CODES.sessionRevoked, 'This session was signed out.');
      } else if (r.expiresAt.getTime() <= now) {
        endSession(conn, 'session_expired', CLOSE_CODES.sessionExpired, 'This session has expired.');
      }
    }
  } catch (err) {
    if (!stopped()) ctx.log.warn({ err }, 'live: session check failed');
  }
}
