/**
 * Closes elections whose voting time is over, as the votes' sweeper does (startDeadlineSweeper
 * in src/votes/vote-service.ts): deadlines live in the database, so any instance (or this one
 * after a restart) closes an expired round, and two instances racing meet on the row lock of
 * the idempotent close. A deadline closes the round it was set for, AT the deadline; a round
 * that follows (majority rounds, the open round after reserved places) has none until the
 * chair gives it one.
 */
import type { AppContext } from '../app-context.js';
import { DomainError } from '../domain/errors.js';
import { findDueElectionRounds } from './election-repository.js';
import { closeElection } from './election-service.js';
import { startPeriodicSweep } from '../ops/periodic-sweep.js';

export function startElectionDeadlineSweeper(ctx: AppContext, intervalMs = 1000): { stop(): Promise<void> } {
  return startPeriodicSweep(ctx, intervalMs, 'election deadline sweep', async (stopped) => {
    const due = await findDueElectionRounds(ctx.db, ctx.clock());
    for (const { id, round } of due) {
      if (stopped()) return;
      try {
        // Naming the round: if another instance closed it meanwhile, this is a no-op, not a
        // close of the next round.
        await closeElection(ctx, id, null, round);
        ctx.log.info({ electionId: id, round }, 'election round closed at its deadline');
      } catch (err) {
        // Cancelled meanwhile, or the database went away for a moment: the next tick retries.
        if (!(err instanceof DomainError)) ctx.log.warn({ err, electionId: id }, 'election deadline close failed');
      }
    }
  });
}
