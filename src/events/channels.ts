/**
 * The names both ends of the live path must agree on, in one place: the PostgreSQL NOTIFY
 * channels (the writers send, every instance's live hub listens) and the live topics
 * (the hub publishes, clients subscribe). A notification only says "look": its payload
 * names what changed, never what it is.
 */

/** A conference's log grew: payload `<conferenceId>:<seq>` (src/audit/event-log.ts). */
export const EVENTS_CHANNEL = 'plenary_events';
/** A vote got a ballot: payload `<conferenceId>:<voteId>` (src/votes/ballot-service.ts). */
export const TALLIES_CHANNEL = 'plenary_tallies';

export const LIVE_CHANNELS = [EVENTS_CHANNEL, TALLIES_CHANNEL] as const;
export type LiveChannel = (typeof LIVE_CHANNELS)[number];

export const eventsNotice = (conferenceId: string, seq: number): string => `${conferenceId}:${seq}`;
export const talliesNotice = (conferenceId: string, voteId: string): string => `${conferenceId}:${voteId}`;

/** `<conferenceId>:<rest>`, or null when the payload is not one of ours. */
export function parseNotice(payload: string): { conferenceId: string; rest: string } | null {
  const [conferenceId, rest] = payload.split(':', 2);
  return conferenceId && rest !== undefined ? { conferenceId, rest } : null;
}

/** Topics: a conference's control events, a vote's tally, and an account's own notices. */
export type TopicKind = 'conference' | 'vote' | 'election' | 'account';

export const TOPIC_PATTERN =
  /^(conference|vote|election|account):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export const conferenceTopic = (conferenceId: string): string => `conference:${conferenceId}`;
export const voteTopic = (voteId: string): string => `vote:${voteId}`;
export const accountTopic = (accountId: string): string => `account:${accountId}`;

export interface ParsedTopic {
  kind: TopicKind;
  id: string;
  topic: string;
}

export function parseTopic(topic: string): ParsedTopic | null {
  const m = TOPIC_PATTERN.exec(topic);
  if (!m) return null;
  return { kind: m[1] as TopicKind, id: m[2]!, topic };
}
