/**
 * Vote rows in any state for the resolutions tests (a clause or amendment "in a vote"),
 * written straight into the table: what is under test is how the resolutions module
 * treats them, not how the voting engine gets there.
 */
import { eq } from 'drizzle-orm';
import { votes } from '../../src/db/schema.js';
import type { TestApp } from '../support/test-app.js';

/** A vote row as the voting engine would leave it. */
export async function insertVote(
  t: TestApp,
  v: {
    conferenceId: string;
    subjectType: 'clause' | 'amendment' | 'resolution';
    subjectId: string;
    state: 'draft' | 'open' | 'closed' | 'cancelled';
    outcome?: 'adopted' | 'rejected' | 'no_quorum';
    closedAt?: Date;
  },
): Promise<string> {
  const closed = v.state === 'closed';
  const [row] = await t.ctx.db
    .insert(votes)
    .values({
      conferenceId: v.conferenceId,
      title: `Vote on ${v.subjectType} ${v.subjectId}`,
      subjectType: v.subjectType,
      subjectId: v.subjectId,
      mode: 'roll_call',
      weighting: 'delegate',
      majority: { rule: 'simple', base: 'yes_no' },
      state: v.state,
      openedAt: v.state === 'draft' ? null : new Date('2019-08-31T10:00:00Z'),
      closedAt: closed ? (v.closedAt ?? new Date('2019-08-31T10:05:00Z')) : null,
      cancelledAt: v.state === 'cancelled' ? new Date('2019-08-31T10:05:00Z') : null,
      result: closed && v.outcome ? { outcome: v.outcome } : null,
    })
    .returning();
  return row!.id;
}

export async function setVoteState(t: TestApp, voteId: string, state: 'cancelled' | 'closed'): Promise<void> {
  await t.ctx.db.update(votes).set({ state }).where(eq(votes.id, voteId));
}
