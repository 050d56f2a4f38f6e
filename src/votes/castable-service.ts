/**
 * What a delegate's phone may cast in a vote, in one read: each seat (own, proxies, the
 * delegation's bloc for its head) with its weight or allocation and its latest ballot.
 * Staff accounts and delegates of other conferences hold no seat: their list is empty.
 */
import type { AppContext } from '../app-context.js';
import type { Principal } from '../auth/principal.js';
import { readyKeyOrNull } from '../e2e/e2e-service.js';
import { castableSeats, subjectText } from './castable-repository.js';
import type { CastableView } from './castable-views.js';
import type { VoteRow } from './vote-views.js';

export async function loadCastable(ctx: AppContext, p: Principal, v: VoteRow): Promise<CastableView> {
  const me = p.role === 'delegate' && p.conferenceId === v.conferenceId ? p.delegateId : null;
  const [rows, subject, key] = await Promise.all([
    me ? castableSeats(ctx.db, v.id, me) : Promise.resolve([]),
    subjectText(ctx.db, v.subjectType, v.subjectId),
    v.mode === 'secret_e2e' ? readyKeyOrNull(ctx.db, { kind: 'vote', id: v.id }) : Promise.resolve(null),
  ]);
  return {
    voteId: v.id,
    state: v.state,
    mode: v.mode,
    weighting: v.weighting,
    allowChange: v.allowChange,
    deadlineAt: v.deadlineAt?.toISOString() ?? null,
    serverTime: ctx.clock().toISOString(),
    subject: {
      type: v.subjectType,
      id: v.subjectId,
      text: subject.text,
      translations: subject.translations ?? {},
    },
    seats: rows.map((r) => ({
      seatId: r.seat_id,
      kind: v.weighting === 'delegation' ? 'bloc' : r.seat_id === me ? 'own' : 'proxy',
      delegationId: r.delegation_id,
      delegationName: r.delegation_name,
      delegateId: r.delegate_id,
      delegateName: r.delegate_name,
      weight: Number(r.weight),
      ballot:
        r.revision === null || r.cast_at === null
          ? null
          : { revision: Number(r.revision), castAt: new Date(r.cast_at).toISOString(), receipt: r.receipt },
    })),
    ...(v.mode === 'secret_e2e'
      ? { e2e: key && { context: key.context, publicKey: key.publicKey, shape: key.shape } }
      : {}),
  };
}
