/**
 * The /live WebSocket protocol, typed once for the server and the tests (asyncapi.yaml
 * is its write-up). Client messages are parsed with zod; server messages are plain types
 * built by the hub. A socket is a hint: everything it says can be fetched again over HTTP.
 */
import { z } from 'zod';

/** Limits that keep one socket from costing the service much. */
export const LIVE_LIMITS = {
  /** Frames larger than this are refused by ws with close code 1009. */
  maxPayloadBytes: 16 * 1024,
  maxTopicsPerSocket: 100,
  maxTopicsPerMessage: 50,
} as const;

const topic = z.string().max(120);

export const subscribeMessageSchema = z
  .object({
    type: z.literal('subscribe'),
    topics: z.array(topic).min(1).max(LIVE_LIMITS.maxTopicsPerMessage),
    /** The last seq seen per conference topic: the server replays what came after, or sends a snapshot. */
    after: z.record(topic, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).optional(),
  })
  .strict();

export const unsubscribeMessageSchema = z
  .object({
    type: z.literal('unsubscribe'),
    topics: z.array(topic).min(1).max(LIVE_LIMITS.maxTopicsPerMessage),
  })
  .strict();

export const pingMessageSchema = z.object({ type: z.literal('ping') }).strict();

export const clientMessageSchema = z.discriminatedUnion('type', [
  subscribeMessageSchema,
  unsubscribeMessageSchema,
  pingMessageSchema,
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type SubscribeMessage = z.infer<typeof subscribeMessageSchema>;

/** One control event of a conference's log, as the public sees it (its projection in src/events/event-catalog.ts). */
export interface EventMessage {
  type: 'event';
  topic: string;
  seq: number;
  event: string;
  at: string;
  data: Record<string, unknown>;
}

export interface ConferenceSnapshotData {
  conference: {
    id: string;
    name: string;
    location: string | null;
    startsOn: string | null;
    endsOn: string | null;
    visibility: 'public' | 'private';
    currentAgendaItemId: string | null;
  };
  agenda: {
    currentItemId: string | null;
    currentItem: AgendaItemSummary | null;
    items: AgendaItemSummary[];
  };
  /** Votes that are open now (draft votes are the chair's preparation and are not shown). */
  openVotes: OpenVoteSummary[];
  presence: {
    present: number;
    total: number;
    presentWeight: number;
    totalWeight: number;
    byDelegation: { delegationId: string; name: string; present: number; total: number }[];
  };
}

export interface AgendaItemSummary {
  id: string;
  title: string;
  position: number;
  state: 'pending' | 'current' | 'done' | 'deferred';
  sittingId: string | null;
  resolutionId: string | null;
}

export interface OpenVoteSummary {
  id: string;
  title: string;
  state: 'draft' | 'open' | 'counting' | 'closed' | 'cancelled';
  mode: 'roll_call' | 'secret' | 'secret_e2e';
  weighting: 'delegate' | 'delegation';
  resultsVisibility: 'live' | 'after_close';
  subjectType: string;
  subjectId: string | null;
  openedAt: string | null;
  deadlineAt: string | null;
}

/** The state of a conference at `seq`: sent when a resume is impossible, or on a first subscribe. */
export interface SnapshotMessage {
  type: 'snapshot';
  topic: string;
  seq: number;
  /** Why a snapshot and not a replay: first subscribe, gap beyond retention, or an invalid `after`. */
  reason: 'initial' | 'beyond_retention' | 'after_ahead' | 'too_many_events';
  data: ConferenceSnapshotData;
}

export interface TallyTotals {
  yes: number;
  no: number;
  abstain: number;
  [k: string]: number;
}

/** A vote's tally as everyone may see it: totals are null while they are hidden (after_close). */
export interface TallyData {
  voteId: string;
  conferenceId: string;
  state: 'draft' | 'open' | 'counting' | 'closed' | 'cancelled';
  mode: 'roll_call' | 'secret' | 'secret_e2e';
  resultsVisibility: 'live' | 'after_close';
  version: number;
  voters: number;
  totals: Record<string, unknown> | null;
  byDelegation: Record<string, unknown>[] | null;
  /** True on the tally pushed once the vote is closed (or cancelled). */
  final: boolean;
}

export interface TallyMessage {
  type: 'tally';
  topic: string;
  version: number;
  data: TallyData;
}

/**
 * A secret_e2e vote's participation on its `vote:<id>` topic, instead of any tally frame:
 * how many seats cast a ballot and with which weight, while it is open and counting, and
 * once more (final) when it is closed or cancelled. Its result is in the `vote.closed` event.
 */
export interface ParticipationData {
  voteId: string;
  conferenceId: string;
  state: 'draft' | 'open' | 'counting' | 'closed' | 'cancelled';
  mode: 'secret_e2e';
  /** Seats that cast a ballot. */
  voters: number;
  /** Their total weight. */
  weight: number;
  final: boolean;
}

export interface ParticipationMessage {
  type: 'participation';
  topic: string;
  version: number;
  data: ParticipationData;
}

/** An election's ballots received so far (never their contents): src/live/election-feed.ts. */
export interface ElectionCountData {
  electionId: string;
  conferenceId: string;
  state: 'draft' | 'open' | 'closed' | 'cancelled';
  mode: 'roll_call' | 'secret';
  /** The round taking ballots (or the last one, once closed). */
  round: number;
  /** Papers received in that round (a paper-batch line of 12 counts 12). */
  ballots: number;
  /** Candidate ids in order of election, once closed; null before. */
  elected: string[] | null;
  final: boolean;
}

export interface ElectionCountMessage {
  type: 'count';
  topic: string;
  version: number;
  data: ElectionCountData;
}

export interface NoticeMessage {
  type: 'notice';
  topic: string;
  notice: 'session_revoked' | 'session_expired';
  message: string;
}

export type LiveErrorCode =
  | 'invalid_json'
  | 'invalid_message'
  | 'invalid_topic'
  | 'forbidden_topic'
  | 'too_many_topics'
  | 'not_subscribed'
  | 'unavailable';

export interface ErrorMessage {
  type: 'error';
  code: LiveErrorCode;
  message: string;
  topic?: string;
}

export interface SubscribedMessage {
  type: 'subscribed';
  topics: string[];
}

export interface UnsubscribedMessage {
  type: 'unsubscribed';
  topics: string[];
}

export interface PongMessage {
  type: 'pong';
}

export interface WelcomeMessage {
  type: 'welcome';
  /** The account behind the ticket, or null for an anonymous observer. */
  accountId: string | null;
  heartbeatMs: number;
}

export type ServerMessage =
  | WelcomeMessage
  | EventMessage
  | SnapshotMessage
  | TallyMessage
  | ParticipationMessage
  | ElectionCountMessage
  | NoticeMessage
  | ErrorMessage
  | SubscribedMessage
  | UnsubscribedMessage
  | PongMessage;

/** Close codes: the standard ones, and ours in the 4000 range (private use, RFC 6455 7.4.2). */
export const CLOSE_CODES = {
  /** The server is shutting down: reconnect (to another instance) and resume with `after`. */
  goingAway: 1001,
  /** More messages than LIVE_MESSAGE_BURST at once, then more than one a second. */
  policyViolation: 1008,
  /** A frame larger than LIVE_LIMITS.maxPayloadBytes (sent by ws itself). */
  messageTooBig: 1009,
  internalError: 1011,
  /** The session behind the ticket was revoked (sign-out, rotated badge code, disabled account). */
  sessionRevoked: 4001,
  /** The session behind the ticket expired: get a new token and ticket. */
  sessionExpired: 4002,
  /** The socket could not keep up with control events: reconnect and resume with `after`. */
  slowConsumer: 4008,
  /** No heartbeat answer (pong) for two intervals. Sent as a terminate, so clients see 1006. */
  heartbeatTimeout: 4009,
} as const;
