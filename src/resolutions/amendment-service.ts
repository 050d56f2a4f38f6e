/** Amendments: tabled by a delegation's head (or the admin), ruled on by the chair, withdrawn by the proposer. */
import type { AppContext } from '../app-context.js';
import { DomainError } from '../domain/errors.js';
import type { AmendmentKind } from '../domain/consolidated-text.js';
import { pgConstraint, pgErrorCode, type DbOrTx } from '../db/client.js';
import { appendEvent } from '../audit/event-log.js';
import { assertConference, type Principal } from '../auth/principal.js';
import { allows } from '../domain/permissions.js';
import { findDelegate, findDelegation } from '../delegations/delegation-repository.js';
import { assertTransition, decisionEvent, type AmendmentDecision } from '../domain/amendment-lifecycle.js';
import {
  findAmendment,
  findClause,
  insertAmendment,
  liveVotesOnAmendment,
  lockResolution,
  nextAmendmentNumber,
  updateAmendmentRow,
  type AmendmentRow,
} from './resolution-repository.js';

export interface NewAmendment {
  clauseId: string;
  kind: AmendmentKind;
  text?: string | undefined;
  /** The admin may table an amendment on a delegation's behalf; a head always tables for their own delegation. */
  delegationId?: string | undefined;
}

const NUMBER_CONSTRAINT = 'amendments_resolution_number_uq';
const MAX_NUMBERING_ATTEMPTS = 5;

/** The delegation a delegate heads in this conference, or a refusal. */
async function headedDelegation(db: DbOrTx, p: Principal, conferenceId: string): Promise<string> {
  const delegate = p.delegateId ? await findDelegate(db, p.delegateId) : undefined;
  if (!delegate || delegate.conferenceId !== conferenceId) {
    throw new DomainError('forbidden', 'wrong_conference', 'Your seat is in another conference.');
  }
  if (delegate.role !== 'head') {
    throw new DomainError(
      'forbidden',
      'not_delegation_head',
      'Only the head of a delegation tables or withdraws its amendments.',
      { role: delegate.role },
    );
  }
  return delegate.delegationId;
}

function checkText(input: NewAmendment): string | null {
  const text = input.text?.trim();
  if (input.kind === 'delete') {
    if (input.text !== undefined) {
      throw new DomainError('invalid', 'amendment_text_forbidden', 'An amendment that deletes a clause has no text.', {
        kind: input.kind,
      });
    }
    return null;
  }
  if (!text) {
    throw new DomainError(
      'invalid',
      'amendment_text_required',
      `An amendment of kind ${input.kind} needs the text it proposes.`,
      { kind: input.kind },
    );
  }
  return text;
}

export async function submitAmendment(
  ctx: AppContext,
  principal: Principal,
  resolutionId: string,
  input: NewAmendment,
): Promise<AmendmentRow> {
  const text = checkText(input);
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction(async (tx) => {
        const resolution = await lockResolution(tx, resolutionId);
        assertConference(principal, resolution.conferenceId);

        let delegationId: string | null = null;
        if (principal.role === 'delegate') {
          delegationId = await headedDelegation(tx, principal, resolution.conferenceId);
          if (input.delegationId !== undefined && input.delegationId !== delegationId) {
            throw new DomainError(
              'forbidden',
              'not_delegation_head',
              'A head tables amendments for their own delegation only.',
            );
          }
        } else if (input.delegationId !== undefined) {
          const delegation = await findDelegation(tx, input.delegationId);
          if (!delegation || delegation.conferenceId !== resolution.conferenceId) {
            throw new DomainError(
              'unprocessable',
              'delegation_not_in_conference',
              `Delegation ${input.delegationId} is not a delegation of this conference.`,
              { delegationId: input.delegationId },
            );
          }
          delegationId = delegation.id;
        }

        const clause = await findClause(tx, input.clauseId).catch(() => undefined);
        if (!clause || clause.resolutionId !== resolution.id) {
          throw new DomainError(
            'unprocessable',
            'clause_not_in_resolution',
            `Clause ${input.clauseId} is not a clause of this resolution.`,
            { clauseId: input.clauseId, resolutionId: resolution.id },
          );
        }

        const number = await nextAmendmentNumber(tx, resolution.id);
        const a = await insertAmendment(tx, {
          resolutionId: resolution.id,
          clauseId: clause.id,
          number,
          kind: input.kind,
          text,
          proposerDelegationId: delegationId,
          proposerAccountId: principal.accountId,
        });
        await appendEvent(
          tx,
          {
            conferenceId: resolution.conferenceId,
            type: 'amendment.submitted',
            actor: principal.accountId,
            data: {
              resolutionId: resolution.id,
              amendmentId: a.id,
              number: a.number,
              clauseId: clause.id,
              clauseNumber: clause.number,
              kind: a.kind,
              text: a.text,
              proposerDelegationId: a.proposerDelegationId,
            },
          },
          ctx.clock(),
        );
        return a;
      });
    } catch (err) {
      // The resolution's row lock already serialises numbering; this only matters if
      // a writer ever inserts without it. The whole transaction is retried, since
      // PostgreSQL aborts a transaction on its first error.
      const clash = pgErrorCode(err) === '23505' && pgConstraint(err) === NUMBER_CONSTRAINT;
      if (!clash || attempt >= MAX_NUMBERING_ATTEMPTS) throw err;
    }
  }
}

export async function decideAmendment(
  ctx: AppContext,
  principal: Principal,
  amendmentId: string,
  to: AmendmentDecision,
): Promise<AmendmentRow> {
  return ctx.db.transaction(async (tx) => {
    const first = await findAmendment(tx, amendmentId);
    const resolution = await lockResolution(tx, first.resolutionId);
    assertConference(principal, resolution.conferenceId);
    const amendment = await findAmendment(tx, amendmentId);

    if (to === 'withdrawn') {
      if (principal.role === 'delegate') {
        const delegationId = await headedDelegation(tx, principal, resolution.conferenceId);
        if (amendment.proposerDelegationId !== delegationId) {
          throw new DomainError(
            'forbidden',
            'not_proposer',
            "Only the proposing delegation's head (or the admin) withdraws an amendment.",
          );
        }
      } else if (!allows(principal.role, 'amendment.withdraw')) {
        throw new DomainError(
          'forbidden',
          'not_proposer',
          "Only the proposing delegation's head (or the admin) withdraws an amendment.",
          { role: principal.role },
        );
      }
    } else if (!allows(principal.role, 'amendment.rule')) {
      throw new DomainError('forbidden', 'forbidden_role', 'Only the chair (or the admin) rules on admissibility.', {
        role: principal.role,
      });
    }

    assertTransition(amendment.status, to);
    if (to === 'withdrawn') {
      const referring = await liveVotesOnAmendment(tx, amendment.id);
      if (referring.length > 0) {
        throw new DomainError(
          'conflict',
          'amendment_in_vote',
          `Amendment ${amendment.number} was put to the vote; it can no longer be withdrawn.`,
          { votes: referring.map((v) => ({ id: v.id, state: v.state })) },
        );
      }
    }

    const now = ctx.clock();
    const row = await updateAmendmentRow(tx, amendment.id, { status: to, decidedAt: now });
    await appendEvent(
      tx,
      {
        conferenceId: resolution.conferenceId,
        type: decisionEvent[to],
        actor: principal.accountId,
        data: {
          resolutionId: resolution.id,
          amendmentId: amendment.id,
          number: amendment.number,
          clauseId: amendment.clauseId,
          from: amendment.status,
          to,
        },
      },
      now,
    );
    return row;
  });
}
