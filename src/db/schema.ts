/**
 * The whole domain of docs/architecture.md as tables. Constraints live in the
 * database where they protect the record whatever the code does: foreign keys,
 * one ballot per vote, seat and revision, enum checks, non-negative weights.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { castByColumns, createdAt, frozenSeatColumns, id, ts } from './columns.js';

export const conferences = pgTable(
  'conferences',
  {
    id: id(),
    name: text('name').notNull(),
    location: text('location'),
    startsOn: date('starts_on', { mode: 'string' }),
    endsOn: date('ends_on', { mode: 'string' }),
    visibility: text('visibility', { enum: ['public', 'private'] })
      .notNull()
      .default('public'),
    currentAgendaItemId: uuid('current_agenda_item_id'),
    // Head of the per-conference event log: the next event takes seq + 1 and chains to this hash.
    // Kept on the conference row so that appending locks one row per conference, never a table.
    eventSeq: bigint('event_seq', { mode: 'number' }).notNull().default(0),
    eventHead: text('event_head').notNull().default('0'.repeat(64)),
    createdAt: createdAt(),
  },
  (t) => [check('conferences_visibility_check', sql`${t.visibility} in ('public','private')`)],
);

export const sittings = pgTable(
  'sittings',
  {
    id: id(),
    conferenceId: uuid('conference_id')
      .notNull()
      .references(() => conferences.id),
    title: text('title').notNull(),
    startsAt: ts('starts_at'),
    endsAt: ts('ends_at'),
    position: integer('position').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('sittings_conference_idx').on(t.conferenceId, t.position)],
);

export const agendaItems = pgTable(
  'agenda_items',
  {
    id: id(),
    conferenceId: uuid('conference_id')
      .notNull()
      .references(() => conferences.id),
    sittingId: uuid('sitting_id').references(() => sittings.id),
    title: text('title').notNull(),
    description: text('description'),
    resolutionId: uuid('resolution_id'),
    position: integer('position').notNull(),
    state: text('state', { enum: ['pending', 'current', 'done', 'deferred'] })
      .notNull()
      .default('pending'),
    createdAt: createdAt(),
  },
  (t) => [
    index('agenda_items_conference_idx').on(t.conferenceId, t.position),
    check('agenda_items_state_check', sql`${t.state} in ('pending','current','done','deferred')`),
  ],
);

export const parties = pgTable('parties', {
  id: id(),
  name: text('name').notNull(),
  abbreviation: text('abbreviation'),
  country: text('country'),
  createdAt: createdAt(),
});

export const delegations = pgTable(
  'delegations',
  {
    id: id(),
    conferenceId: uuid('conference_id')
      .notNull()
      .references(() => conferences.id),
    partyId: uuid('party_id').references(() => parties.id),
    name: text('name').notNull(),
    votes: integer('votes').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('delegations_conference_name_uq').on(t.conferenceId, t.name),
    check('delegations_votes_check', sql`${t.votes} >= 0`),
  ],
);

export const delegates = pgTable(
  'delegates',
  {
    id: id(),
    conferenceId: uuid('conference_id')
      .notNull()
      .references(() => conferences.id),
    delegationId: uuid('delegation_id')
      .notNull()
      .references(() => delegations.id),
    name: text('name').notNull(),
    role: text('role', { enum: ['head', 'delegate', 'alternate'] })
      .notNull()
      .default('delegate'),
    weight: integer('weight').notNull().default(1),
    externalId: text('external_id'),
    present: boolean('present').notNull().default(false),
    proxyToId: uuid('proxy_to_id'),
    // Only a hash of the badge code is kept; see src/auth/access-codes.ts.
    accessCodeHash: text('access_code_hash'),
    accessCodeIssuedAt: ts('access_code_issued_at'),
    // Floor rules (src/floor): the self-declared quota group, from the conference's set, and a first congress.
    quotaGroup: text('quota_group'),
    firstCongress: boolean('first_congress').notNull().default(false),
    // Marked by the desk: this delegate votes on paper, so the chair may enter their ballot (S10).
    votesOnPaper: boolean('votes_on_paper').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    index('delegates_delegation_idx').on(t.delegationId),
    uniqueIndex('delegates_conference_external_uq').on(t.conferenceId, t.externalId),
    uniqueIndex('delegates_access_code_uq').on(t.accessCodeHash),
    check('delegates_role_check', sql`${t.role} in ('head','delegate','alternate')`),
    check('delegates_weight_check', sql`${t.weight} >= 0`),
    check('delegates_proxy_not_self_check', sql`${t.proxyToId} is null or ${t.proxyToId} <> ${t.id}`),
  ],
);

export const accounts = pgTable(
  'accounts',
  {
    id: id(),
    username: text('username'),
    passwordHash: text('password_hash'),
    role: text('role', { enum: ['admin', 'chair', 'delegate', 'auditor'] }).notNull(),
    conferenceId: uuid('conference_id').references(() => conferences.id),
    delegateId: uuid('delegate_id').references(() => delegates.id),
    disabled: boolean('disabled').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('accounts_username_uq').on(t.username),
    uniqueIndex('accounts_delegate_uq').on(t.delegateId),
    check('accounts_role_check', sql`${t.role} in ('admin','chair','delegate','auditor')`),
    check('accounts_delegate_bound_check', sql`(${t.role} = 'delegate') = (${t.delegateId} is not null)`),
  ],
);

/** One row per issued token (its jti): revoking the row refuses the token at once. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('sessions_account_idx').on(t.accountId)],
);

export const resolutions = pgTable('resolutions', {
  id: id(),
  conferenceId: uuid('conference_id')
    .notNull()
    .references(() => conferences.id),
  title: text('title').notNull(),
  preamble: text('preamble'),
  createdAt: createdAt(),
});

export const clauses = pgTable(
  'clauses',
  {
    id: id(),
    resolutionId: uuid('resolution_id')
      .notNull()
      .references(() => resolutions.id),
    number: integer('number').notNull(),
    position: integer('position').notNull(),
    text: text('text').notNull(),
    translations: jsonb('translations').$type<Record<string, string>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('clauses_resolution_number_uq').on(t.resolutionId, t.number)],
);

export const amendments = pgTable(
  'amendments',
  {
    id: id(),
    resolutionId: uuid('resolution_id')
      .notNull()
      .references(() => resolutions.id),
    clauseId: uuid('clause_id')
      .notNull()
      .references(() => clauses.id),
    number: integer('number').notNull(),
    kind: text('kind', { enum: ['replace', 'insert_after', 'delete'] }).notNull(),
    text: text('text'),
    status: text('status', { enum: ['submitted', 'admitted', 'inadmissible', 'withdrawn'] })
      .notNull()
      .default('submitted'),
    proposerDelegationId: uuid('proposer_delegation_id').references(() => delegations.id),
    proposerAccountId: uuid('proposer_account_id').references(() => accounts.id),
    createdAt: createdAt(),
    decidedAt: ts('decided_at'),
  },
  (t) => [
    uniqueIndex('amendments_resolution_number_uq').on(t.resolutionId, t.number),
    check('amendments_kind_check', sql`${t.kind} in ('replace','insert_after','delete')`),
    check('amendments_status_check', sql`${t.status} in ('submitted','admitted','inadmissible','withdrawn')`),
    check('amendments_text_check', sql`(${t.kind} = 'delete') = (${t.text} is null)`),
  ],
);

export const votes = pgTable(
  'votes',
  {
    id: id(),
    conferenceId: uuid('conference_id')
      .notNull()
      .references(() => conferences.id),
    title: text('title').notNull(),
    question: text('question'),
    subjectType: text('subject_type', { enum: ['clause', 'amendment', 'resolution', 'motion'] }).notNull(),
    subjectId: uuid('subject_id'),
    // secret_e2e and counting: migration 0011 (issue 21). The enum lists are TypeScript only.
    mode: text('mode', { enum: ['roll_call', 'secret', 'secret_e2e'] }).notNull(),
    weighting: text('weighting', { enum: ['delegate', 'delegation'] }).notNull(),
    majority: jsonb('majority').notNull(),
    quorum: jsonb('quorum'),
    allowChange: boolean('allow_change').notNull().default(false),
    resultsVisibility: text('results_visibility', { enum: ['live', 'after_close'] })
      .notNull()
      .default('live'),
    /** counting: a secret_e2e vote's ballots are closed and its tellers decrypt the totals. */
    state: text('state', { enum: ['draft', 'open', 'counting', 'closed', 'cancelled'] })
      .notNull()
      .default('draft'),
    votingListPosition: integer('voting_list_position'),
    openedAt: ts('opened_at'),
    deadlineAt: ts('deadline_at'),
    closedAt: ts('closed_at'),
    cancelledAt: ts('cancelled_at'),
    electorateHash: text('electorate_hash'),
    result: jsonb('result'),
    createdBy: uuid('created_by').references(() => accounts.id),
    createdAt: createdAt(),
  },
  (t) => [
    index('votes_conference_idx').on(t.conferenceId, t.createdAt),
    index('votes_deadline_idx').on(t.deadlineAt),
    check('votes_subject_type_check', sql`${t.subjectType} in ('clause','amendment','resolution','motion')`),
    check('votes_mode_check', sql`${t.mode} in ('roll_call','secret','secret_e2e')`),
    check('votes_weighting_check', sql`${t.weighting} in ('delegate','delegation')`),
    check('votes_visibility_check', sql`${t.resultsVisibility} in ('live','after_close')`),
    check('votes_state_check', sql`${t.state} in ('draft','open','counting','closed','cancelled')`),
    check('votes_secret_no_change_check', sql`not (${t.mode} in ('secret','secret_e2e') and ${t.allowChange})`),
  ],
);

/**
 * Who was entitled, with what weight, frozen when the vote opened. A seat is a
 * delegate (delegate weighting) or a delegation (delegation weighting).
 */
export const electorateSeats = pgTable(
  'electorate_seats',
  {
    voteId: uuid('vote_id')
      .notNull()
      .references(() => votes.id),
    seatId: uuid('seat_id').notNull(),
    ...frozenSeatColumns(),
  },
  (t) => [primaryKey({ columns: [t.voteId, t.seatId] }), check('electorate_seats_weight_check', sql`${t.weight} >= 0`)],
);

/**
 * Ballots are append-only. A changed ballot (allowChange) is a new row with the next
 * revision; the unique (vote, seat, revision) makes a second first ballot impossible
 * at any isolation level. For secret votes the choice columns are null here and the
 * choice lives unlinked in secret_choices.
 */
export const ballots = pgTable(
  'ballots',
  {
    id: id(),
    voteId: uuid('vote_id')
      .notNull()
      .references(() => votes.id),
    seatId: uuid('seat_id').notNull(),
    revision: integer('revision').notNull().default(1),
    yes: integer('yes'),
    no: integer('no'),
    abstain: integer('abstain'),
    weight: integer('weight').notNull(),
    ...castByColumns(),
    receipt: text('receipt'),
  },
  (t) => [
    uniqueIndex('ballots_vote_seat_revision_uq').on(t.voteId, t.seatId, t.revision),
    uniqueIndex('ballots_receipt_uq').on(t.receipt),
    check('ballots_cast_via_check', sql`${t.castVia} in ('self','proxy','head','paper')`),
    check(
      'ballots_non_negative_check',
      sql`coalesce(${t.yes},0) >= 0 and coalesce(${t.no},0) >= 0 and coalesce(${t.abstain},0) >= 0 and ${t.weight} >= 0`,
    ),
    check(
      'ballots_split_within_weight_check',
      sql`coalesce(${t.yes},0) + coalesce(${t.no},0) + coalesce(${t.abstain},0) <= ${t.weight}`,
    ),
    check('ballots_revision_check', sql`${t.revision} >= 1`),
  ],
);

/** The choices of a secret vote, deliberately without any column that leads back to a voter. */
export const secretChoices = pgTable(
  'secret_choices',
  {
    id: id(),
    voteId: uuid('vote_id')
      .notNull()
      .references(() => votes.id),
    yes: integer('yes').notNull(),
    no: integer('no').notNull(),
    abstain: integer('abstain').notNull(),
    receipt: text('receipt').notNull(),
  },
  (t) => [
    index('secret_choices_vote_idx').on(t.voteId),
    uniqueIndex('secret_choices_receipt_uq').on(t.receipt),
    check('secret_choices_non_negative_check', sql`${t.yes} >= 0 and ${t.no} >= 0 and ${t.abstain} >= 0`),
  ],
);

export const corrections = pgTable(
  'corrections',
  {
    id: id(),
    voteId: uuid('vote_id')
      .notNull()
      .references(() => votes.id),
    delegateId: uuid('delegate_id')
      .notNull()
      .references(() => delegates.id),
    intended: text('intended', { enum: ['yes', 'no', 'abstain', 'not_voting'] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('corrections_vote_delegate_uq').on(t.voteId, t.delegateId),
    check('corrections_intended_check', sql`${t.intended} in ('yes','no','abstain','not_voting')`),
  ],
);

/** Stored answers of retried writes: same key and body gives the same answer. */
export const idempotencyRecords = pgTable(
  'idempotency_records',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    key: text('key').notNull(),
    scope: text('scope').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status').notNull(),
    response: jsonb('response').notNull(),
    createdAt: createdAt(),
    // A ballot's vote: a secret vote's records are deleted in its closing transaction.
    voteId: uuid('vote_id'),
    // The same for an election's ballots (a secret election's go when its last round closes).
    electionId: uuid('election_id'),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.key] }),
    index('idempotency_records_vote_idx')
      .on(t.voteId)
      .where(sql`${t.voteId} is not null`),
    index('idempotency_records_election_idx')
      .on(t.electionId)
      .where(sql`${t.electionId} is not null`),
  ],
);

/** The per-conference event log: gap-free seq, hash-chained (src/audit/hash-chain.ts). */
export const events = pgTable(
  'events',
  {
    conferenceId: uuid('conference_id')
      .notNull()
      .references(() => conferences.id),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    actor: text('actor'),
    at: text('at').notNull(),
    data: jsonb('data').notNull(),
    prevHash: text('prev_hash').notNull(),
    contentHash: text('content_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.conferenceId, t.seq] })],
);

/** Keys the service generated for itself when none is configured; shared by every instance. */
export const serviceKeys = pgTable(
  'service_keys',
  {
    kid: text('kid').primaryKey(),
    purpose: text('purpose', { enum: ['record-signing', 'token-hmac'] }).notNull(),
    algorithm: text('algorithm').notNull(),
    publicJwk: jsonb('public_jwk'),
    privateJwk: jsonb('private_jwk').notNull(),
    createdAt: createdAt(),
    retiredAt: ts('retired_at'),
  },
  (t) => [check('service_keys_purpose_check', sql`${t.purpose} in ('record-signing','token-hmac')`)],
);

/** Single-use WebSocket tickets (stored as a hash), valid for 30 seconds, bound to an account session. */
export const liveTickets = pgTable(
  'live_tickets',
  {
    ticketHash: text('ticket_hash').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('live_tickets_expires_idx').on(t.expiresAt)],
);

/**
 * Failed sign-ins per key (an account, a code prefix or a client address) in a time window,
 * shared by every instance so that spreading guesses over instances does not help.
 */
export const loginThrottle = pgTable('login_throttle', {
  key: text('key').primaryKey(),
  windowStart: ts('window_start').notNull(),
  failures: integer('failures').notNull().default(0),
  blockedUntil: ts('blocked_until'),
});
export * from './schema-floor.js';
export * from './schema-elections.js';
export * from './schema-e2e.js';
