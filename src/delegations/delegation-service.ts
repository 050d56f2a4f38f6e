/**
 * Writes of parties, delegations and delegates, presence, proxies and substitutions.
 *
 * Every write that touches a delegation's seats first locks the conference row and then
 * the delegation row (SELECT ... FOR UPDATE), so the checks below (allocation, one head, proxy chains) are
 * made against a state that no concurrent request can change before commit. Each write
 * appends its event in the same transaction.
 *
 * Rules (stable codes, see the route docs):
 * - the weights of a delegation's delegates never add up to more than its votes
 *   ('allocation_exceeded', also when lowering the votes);
 * - at most one head per delegation ('head_exists');
 * - an externalId is unique within a conference ('external_id_taken');
 * - a proxy goes to a present delegate of the same delegation, not to oneself, one level
 *   only: the holder has not given their own vote away and the giver holds no proxy
 *   ('proxy_other_delegation', 'proxy_holder_absent', 'proxy_to_self', 'proxy_chain').
 *   A holder who checks out loses the proxies they held (each revocation is logged),
 *   so a vote's snapshot never names an absent holder.
 *
 * Nothing here deletes: a delegate or delegation that a vote's electorate snapshot names
 * is kept by the foreign keys of electorate_seats (and ballots), and weight or vote
 * changes never touch an open vote, whose weights were copied into its snapshot.
 */
import type { AppContext } from '../app-context.js';
import { appendEvent } from '../audit/event-log.js';
import { assertQuotaGroups } from '../floor/floor-settings.js';
import { DomainError } from '../domain/errors.js';
import { pgConstraint, pgErrorCode, type DbOrTx } from '../db/client.js';
import type { Principal } from '../auth/principal.js';
import {
  clearProxiesHeldBy,
  findByExternalId,
  findDelegate,
  findDelegationByName,
  findOtherHead,
  holdsAProxy,
  insertDelegate,
  insertDelegation,
  insertParty,
  loadDelegate,
  lockDelegation,
  moveWeight,
  partyExists,
  presenceByDelegation,
  sumOfWeights,
  updateDelegateRow,
  updateDelegationRow,
  type DelegateRow,
  type DelegationRow,
} from './delegation-repository.js';

export type DelegateRole = DelegateRow['role'];

// ---------------------------------------------------------------------------
// Errors

export const allocationExceeded = (delegation: string, votes: number, weights: number) =>
  new DomainError(
    'conflict',
    'allocation_exceeded',
    `The delegates of ${delegation} would hold ${weights} votes, more than its allocation of ${votes}.`,
    { delegation, votes, weights },
  );

export const headExists = (delegation: string) =>
  new DomainError('conflict', 'head_exists', `${delegation} already has a head of delegation.`, { delegation });

export const externalIdTaken = (externalId: string) =>
  new DomainError(
    'conflict',
    'external_id_taken',
    `Another delegate of this conference has externalId ${externalId}.`,
    {
      externalId,
    },
  );

/** Turns unique violations that a concurrent request won into the same answers as the checks. */
export function mapUniqueViolation(err: unknown, externalId?: string | null, delegationName?: string): unknown {
  if (pgErrorCode(err) !== '23505') return err;
  const c = pgConstraint(err);
  if (c === 'delegates_conference_external_uq') return externalIdTaken(externalId ?? '');
  if (c === 'delegations_conference_name_uq') return delegationNameTaken(delegationName ?? '');
  return err;
}

const delegationNameTaken = (name: string) =>
  new DomainError('conflict', 'delegation_name_taken', `This conference already has a delegation named ${name}.`, {
    name,
  });

// ---------------------------------------------------------------------------
// Checks against the locked rows

async function assertNoOtherHead(tx: DbOrTx, delegation: DelegationRow, exceptDelegateId?: string): Promise<void> {
  if (await findOtherHead(tx, delegation.id, exceptDelegateId)) throw headExists(delegation.name);
}

async function assertExternalIdFree(
  tx: DbOrTx,
  conferenceId: string,
  externalId: string | null | undefined,
  exceptDelegateId?: string,
): Promise<void> {
  if (!externalId) return;
  if (await findByExternalId(tx, conferenceId, externalId, exceptDelegateId)) throw externalIdTaken(externalId);
}

async function assertPartyExists(tx: DbOrTx, partyId: string | null | undefined): Promise<void> {
  if (!partyId) return;
  if (!(await partyExists(tx, partyId)))
    throw new DomainError('unprocessable', 'party_not_found', `No party with id ${partyId}.`, { partyId });
}

function changed<T extends Record<string, unknown>>(row: T, patch: Partial<T>): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(patch) as [keyof T, T[keyof T]][]) {
    if (v !== undefined && row[k] !== v) out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Parties

/**
 * Parties are a directory shared by every conference, so their creation belongs to no
 * conference's log; a delegation that refers to a party logs the partyId when it is made.
 */
export async function createParty(
  ctx: AppContext,
  input: { name: string; abbreviation?: string | null | undefined; country?: string | null | undefined },
) {
  return insertParty(ctx.db, {
    name: input.name,
    abbreviation: input.abbreviation ?? null,
    country: input.country ?? null,
  });
}

// ---------------------------------------------------------------------------
// Delegations

export async function createDelegation(
  ctx: AppContext,
  actor: Principal,
  conferenceId: string,
  input: { name: string; partyId?: string | null | undefined; votes: number },
): Promise<DelegationRow> {
  try {
    return await ctx.db.transaction(async (tx) => {
      await assertPartyExists(tx, input.partyId);
      if (await findDelegationByName(tx, conferenceId, input.name)) throw delegationNameTaken(input.name);
      const d = await insertDelegation(tx, {
        conferenceId,
        name: input.name,
        partyId: input.partyId ?? null,
        votes: input.votes,
      });
      await appendEvent(
        tx,
        {
          conferenceId,
          type: 'delegation.created',
          actor: actor.accountId,
          data: { delegationId: d.id, name: d.name, partyId: d.partyId, votes: d.votes },
        },
        ctx.clock(),
      );
      return d;
    });
  } catch (err) {
    throw mapUniqueViolation(err, null, input.name);
  }
}

export async function updateDelegation(
  ctx: AppContext,
  actor: Principal,
  delegation0: DelegationRow,
  patch: { name?: string | undefined; partyId?: string | null | undefined; votes?: number | undefined },
): Promise<DelegationRow> {
  try {
    return await ctx.db.transaction(async (tx) => {
      const d = await lockDelegation(tx, delegation0.conferenceId, delegation0.id);
      const changes = changed(d, patch);
      if (Object.keys(changes).length === 0) return d;
      if (changes.partyId) await assertPartyExists(tx, changes.partyId);
      if (changes.name !== undefined) {
        if (await findDelegationByName(tx, d.conferenceId, changes.name)) throw delegationNameTaken(changes.name);
      }
      if (changes.votes !== undefined) {
        const weights = await sumOfWeights(tx, d.id);
        if (weights > changes.votes) throw allocationExceeded(d.name, changes.votes, weights);
      }
      const updated = await updateDelegationRow(tx, d.id, changes);
      await appendEvent(
        tx,
        {
          conferenceId: d.conferenceId,
          type: 'delegation.updated',
          actor: actor.accountId,
          data: { delegationId: d.id, changes },
        },
        ctx.clock(),
      );
      return updated!;
    });
  } catch (err) {
    throw mapUniqueViolation(err, null, patch.name);
  }
}

// ---------------------------------------------------------------------------
// Delegates

export interface DelegateInput {
  name: string;
  role: DelegateRole;
  weight: number;
  externalId?: string | null | undefined;
  quotaGroup?: string | null | undefined;
  firstCongress?: boolean | undefined;
}

export async function createDelegate(
  ctx: AppContext,
  actor: Principal,
  delegation0: DelegationRow,
  input: DelegateInput,
): Promise<DelegateRow> {
  try {
    return await ctx.db.transaction(async (tx) => {
      const d = await lockDelegation(tx, delegation0.conferenceId, delegation0.id);
      if (input.role === 'head') await assertNoOtherHead(tx, d);
      await assertExternalIdFree(tx, d.conferenceId, input.externalId);
      await assertQuotaGroups(tx, d.conferenceId, [input.quotaGroup]);
      const weights = (await sumOfWeights(tx, d.id)) + input.weight;
      if (weights > d.votes) throw allocationExceeded(d.name, d.votes, weights);
      const m = await insertDelegate(tx, {
        conferenceId: d.conferenceId,
        delegationId: d.id,
        name: input.name,
        role: input.role,
        weight: input.weight,
        externalId: input.externalId ?? null,
        quotaGroup: input.quotaGroup ?? null,
        firstCongress: input.firstCongress ?? false,
      });
      await appendEvent(
        tx,
        {
          conferenceId: d.conferenceId,
          type: 'delegate.created',
          actor: actor.accountId,
          data: {
            delegateId: m!.id,
            delegationId: d.id,
            name: m!.name,
            role: m!.role,
            weight: m!.weight,
            externalId: m!.externalId,
            quotaGroup: m!.quotaGroup,
            firstCongress: m!.firstCongress,
          },
        },
        ctx.clock(),
      );
      return m!;
    });
  } catch (err) {
    throw mapUniqueViolation(err, input.externalId);
  }
}

export async function updateDelegate(
  ctx: AppContext,
  actor: Principal,
  delegate0: DelegateRow,
  patch: Partial<DelegateInput>,
): Promise<DelegateRow> {
  try {
    return await ctx.db.transaction(async (tx) => {
      const d = await lockDelegation(tx, delegate0.conferenceId, delegate0.delegationId);
      const m = await loadDelegate(tx, delegate0.id);
      const changes = changed(m, patch as Partial<DelegateRow>);
      if (Object.keys(changes).length === 0) return m;
      if (changes.role === 'head') await assertNoOtherHead(tx, d, m.id);
      if (changes.externalId) await assertExternalIdFree(tx, d.conferenceId, changes.externalId, m.id);
      await assertQuotaGroups(tx, d.conferenceId, [changes.quotaGroup]);
      if (changes.weight !== undefined && changes.weight > m.weight) {
        const weights = (await sumOfWeights(tx, d.id, m.id)) + changes.weight;
        if (weights > d.votes) throw allocationExceeded(d.name, d.votes, weights);
      }
      const updated = await updateDelegateRow(tx, m.id, changes);
      await appendEvent(
        tx,
        {
          conferenceId: d.conferenceId,
          type: 'delegate.updated',
          actor: actor.accountId,
          data: { delegateId: m.id, delegationId: d.id, changes },
        },
        ctx.clock(),
      );
      return updated!;
    });
  } catch (err) {
    throw mapUniqueViolation(err, patch.externalId);
  }
}

// ---------------------------------------------------------------------------
// Presence

export async function setPresence(
  ctx: AppContext,
  actor: Principal,
  delegate0: DelegateRow,
  present: boolean,
  votesOnPaper?: boolean,
): Promise<DelegateRow> {
  // Marking a seat as voting on paper lets the chair cast for it (S10): the desk's decision, never the delegate's.
  if (votesOnPaper !== undefined && actor.role !== 'admin' && actor.role !== 'chair')
    throw new DomainError(
      'forbidden',
      'desk_only',
      'Only the desk (chair, admin) marks a delegate as voting on paper.',
    );
  return ctx.db.transaction(async (tx) => {
    await lockDelegation(tx, delegate0.conferenceId, delegate0.delegationId);
    let m = await loadDelegate(tx, delegate0.id);
    const now = ctx.clock();
    if (votesOnPaper !== undefined && m.votesOnPaper !== votesOnPaper) {
      m = await updateDelegateRow(tx, m.id, { votesOnPaper });
      await appendEvent(
        tx,
        {
          conferenceId: m.conferenceId,
          type: 'delegate.voting_on_paper',
          actor: actor.accountId,
          data: { delegateId: m.id, delegationId: m.delegationId, votesOnPaper },
        },
        now,
      );
    }
    if (m.present === present) return m;
    const updated = await updateDelegateRow(tx, m.id, { present });
    await appendEvent(
      tx,
      {
        conferenceId: m.conferenceId,
        type: present ? 'delegate.checked_in' : 'delegate.checked_out',
        actor: actor.accountId,
        data: { delegateId: m.id, delegationId: m.delegationId },
      },
      now,
    );
    if (!present) {
      // A proxy held by someone who left the hall could not be exercised: it lapses, visibly.
      const lapsed = await clearProxiesHeldBy(tx, m.id);
      for (const g of lapsed) {
        await appendEvent(
          tx,
          {
            conferenceId: m.conferenceId,
            type: 'delegate.proxy_changed',
            actor: actor.accountId,
            data: { delegateId: g.id, from: m.id, to: null, reason: 'holder_checked_out' },
          },
          now,
        );
      }
    }
    return updated!;
  });
}

export interface PresenceCounts {
  delegates: number;
  present: number;
  weight: number;
  presentWeight: number;
}

export async function presenceOf(
  db: DbOrTx,
  conferenceId: string,
): Promise<{
  overall: PresenceCounts;
  delegations: (PresenceCounts & { delegationId: string; name: string; votes: number })[];
}> {
  const rows = await presenceByDelegation(db, conferenceId);
  const list = rows.map((r) => ({
    delegationId: r.delegation_id,
    name: r.name,
    votes: Number(r.votes),
    delegates: Number(r.delegates),
    present: Number(r.present),
    weight: Number(r.weight),
    presentWeight: Number(r.present_weight),
  }));
  const overall = list.reduce<PresenceCounts>(
    (a, r) => ({
      delegates: a.delegates + r.delegates,
      present: a.present + r.present,
      weight: a.weight + r.weight,
      presentWeight: a.presentWeight + r.presentWeight,
    }),
    { delegates: 0, present: 0, weight: 0, presentWeight: 0 },
  );
  return { overall, delegations: list };
}

// ---------------------------------------------------------------------------
// Proxies

const proxyError = (kind: 'conflict' | 'unprocessable', code: string, message: string) =>
  new DomainError(kind, code, message);

export async function setProxy(
  ctx: AppContext,
  actor: Principal,
  giver0: DelegateRow,
  toDelegateId: string | null,
): Promise<DelegateRow> {
  if (toDelegateId === giver0.id) {
    throw proxyError('unprocessable', 'proxy_to_self', 'A delegate cannot hold their own proxy.');
  }
  return ctx.db.transaction(async (tx) => {
    await lockDelegation(tx, giver0.conferenceId, giver0.delegationId);
    const giver = await loadDelegate(tx, giver0.id);
    if (giver.proxyToId === toDelegateId) return giver;
    if (toDelegateId !== null) {
      const holder = await findDelegate(tx, toDelegateId);
      if (!holder || holder.delegationId !== giver.delegationId) {
        throw proxyError(
          'unprocessable',
          'proxy_other_delegation',
          'A proxy can only go to a delegate of the same delegation.',
        );
      }
      if (!holder.present) {
        throw proxyError('conflict', 'proxy_holder_absent', 'The proxy holder must be checked in.');
      }
      if (holder.proxyToId !== null) {
        throw proxyError(
          'conflict',
          'proxy_chain',
          'The proxy holder has given their own vote away: proxies go one level only.',
        );
      }
      if (await holdsAProxy(tx, giver.id)) {
        throw proxyError(
          'conflict',
          'proxy_chain',
          "This delegate holds another delegate's proxy and cannot pass their vote on: proxies go one level only.",
        );
      }
    }
    const updated = await updateDelegateRow(tx, giver.id, { proxyToId: toDelegateId });
    await appendEvent(
      tx,
      {
        conferenceId: giver.conferenceId,
        type: 'delegate.proxy_changed',
        actor: actor.accountId,
        data: { delegateId: giver.id, from: giver.proxyToId, to: toDelegateId },
      },
      ctx.clock(),
    );
    return updated!;
  });
}

// ---------------------------------------------------------------------------
// Substitution by an alternate

/**
 * An alternate takes an absent delegate's seat: the delegate's whole weight moves to the
 * alternate, so the delegation's total (and the allocation invariant) is unchanged. A
 * proxy the absent delegate had given lapses, since their vote is now the alternate's.
 * When the delegate returns, the desk moves the weight back with PATCH /delegates/{id}
 * (lower the alternate first, then raise the delegate).
 */
export async function substitute(
  ctx: AppContext,
  actor: Principal,
  delegate0: DelegateRow,
  alternateId: string,
): Promise<{ delegate: DelegateRow; alternate: DelegateRow; weight: number }> {
  if (alternateId === delegate0.id) {
    throw new DomainError('unprocessable', 'substitute_self', 'A delegate cannot substitute for themself.');
  }
  return ctx.db.transaction(async (tx) => {
    await lockDelegation(tx, delegate0.conferenceId, delegate0.delegationId);
    const m = await loadDelegate(tx, delegate0.id);
    const alt = await findDelegate(tx, alternateId);
    if (!alt || alt.delegationId !== m.delegationId) {
      throw new DomainError(
        'unprocessable',
        'substitute_other_delegation',
        'The alternate must belong to the same delegation.',
      );
    }
    if (alt.role !== 'alternate') {
      throw new DomainError(
        'unprocessable',
        'not_an_alternate',
        'Only a delegate with the role alternate can take a seat.',
      );
    }
    if (m.present) {
      throw new DomainError('conflict', 'delegate_present', 'The delegate is checked in: check them out first.');
    }
    if (m.weight === 0) {
      throw new DomainError('conflict', 'no_weight_to_substitute', 'The delegate holds no weight to hand over.');
    }
    const weight = m.weight;
    const { delegate, alternate } = await moveWeight(tx, m.id, alt.id, weight);
    await appendEvent(
      tx,
      {
        conferenceId: m.conferenceId,
        type: 'delegate.substituted',
        actor: actor.accountId,
        data: { delegateId: m.id, alternateId: alt.id, delegationId: m.delegationId, weight, proxyLapsed: m.proxyToId },
      },
      ctx.clock(),
    );
    return { delegate, alternate, weight };
  });
}
