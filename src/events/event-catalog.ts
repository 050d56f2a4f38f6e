/**
 * Every event type of the conference log, with its payload type and what the public sees
 * of it. Each module declares its own in `<module>-events.ts`; a new module adds one line
 * here. `appendEvent` takes only these types with their payloads, and the live channel
 * projects each one as declared (see docs/architecture.md, "Adding an event type").
 */
import { conferenceEvents } from '../conferences/conference-events.js';
import { delegationEvents } from '../delegations/delegation-events.js';
import { e2eEvents } from '../e2e/e2e-events.js';
import { electionEvents } from '../elections/election-events.js';
import { floorEvents } from '../floor/floor-events.js';
import { resolutionEvents } from '../resolutions/resolution-events.js';
import { voteEvents } from '../votes/vote-events.js';
import type { PayloadOf, PublicProjection } from './define-event.js';

export const EVENT_CATALOG = {
  ...conferenceEvents,
  ...delegationEvents,
  ...e2eEvents,
  ...electionEvents,
  ...floorEvents,
  ...resolutionEvents,
  ...voteEvents,
};

export type EventType = keyof typeof EVENT_CATALOG;

/** Event type -> payload type. */
export type EventMap = { [K in EventType]: PayloadOf<(typeof EVENT_CATALOG)[K]> };

/** One event of a known type, with its payload: narrow on `type` to read `data`. */
export type KnownEvent = { [K in EventType]: { type: K; data: EventMap[K] } }[EventType];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_CATALOG, type);
}

/** A stored event read back: its type known to this build, its data as appendEvent wrote it. */
export function knownEvent(type: string, data: unknown): KnownEvent | null {
  return isEventType(type) && data && typeof data === 'object' ? ({ type, data } as KnownEvent) : null;
}

export interface PublicEvent {
  event: string;
  data: Record<string, unknown>;
}

/**
 * What the conference topic (anyone, no account) gets of a stored event. A type this
 * build does not know (written by a newer instance during a rolling restart) or one
 * declared redacted goes out as a bare `redacted` event: the seq stays gap-free, so a
 * client can still tell that it missed nothing, and the audit log keeps the full entry.
 */
export function publicEvent(type: string, data: unknown): PublicEvent {
  if (!isEventType(type) || !data || typeof data !== 'object') return { event: 'redacted', data: {} };
  // The stored data is what appendEvent wrote for this type.
  const project = EVENT_CATALOG[type].public as PublicProjection<object> | null;
  if (!project) return { event: 'redacted', data: {} };
  return { event: type, data: project(data) };
}
