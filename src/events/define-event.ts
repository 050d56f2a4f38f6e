/**
 * How an event type is declared: its payload type and, in the same breath, what the
 * public conference topic shows of it. There is no default: an entry without a
 * projection is not an EventDefinition, so it does not compile into the catalog
 * (tests/events/event-catalog.test.ts proves it, checked by the typecheck).
 */

/** What observers (the conference topic, no account) see of one event's data. */
export type PublicProjection<P> = (data: P) => Record<string, unknown>;

export interface EventDefinition<P extends object> {
  /** Null: the event is sent as a bare `redacted` event (the seq stays gap-free). */
  readonly public: PublicProjection<P> | null;
  /** Type only: carries the payload type to EventMap. */
  readonly __payload?: P;
}

/** Copies the listed top-level keys that are present; nothing else leaves. */
function pick(data: object, keys: readonly string[]): Record<string, unknown> {
  const src = data as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  return out;
}

/**
 * `defineEvent<Payload>()` then one of:
 * - `.showing('a', 'b')`: observers see these fields (an allowlist; a field added to the
 *   payload later stays private until it is listed here);
 * - `.projectedBy(fn)`: observers see what fn returns (when it depends on the data);
 * - `.redacted()`: observers see only that something happened.
 */
export function defineEvent<P extends object>() {
  return {
    showing: <K extends keyof P & string>(...keys: K[]): EventDefinition<P> => ({
      public: (data) => pick(data, keys),
    }),
    projectedBy: (fn: PublicProjection<P>): EventDefinition<P> => ({ public: fn }),
    redacted: (): EventDefinition<P> => ({ public: null }),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any payload: each entry keeps its own
export type EventDefinitions = Record<string, EventDefinition<any>>;

/** A module's event types: `export const voteEvents = defineEvents({ 'vote.opened': ..., })`. */
export const defineEvents = <T extends EventDefinitions>(definitions: T): T => definitions;

export type PayloadOf<D> = D extends EventDefinition<infer P> ? P : never;
