/**
 * What of the event log goes over the socket. The conference topic is the same for every
 * subscriber, so it carries only what the public may read: event types from the domain
 * families below, with any field that could name a choice, a credential or a running
 * tally removed. Anything else (accounts, sessions, ballots, types we do not know) is
 * sent as a bare `redacted` event: the seq stays gap-free, so a client can still tell
 * that it missed nothing, and the audit log (HTTP, auditors) keeps the full entry.
 */

const PUBLIC_FAMILIES = new Set([
  'conference',
  'sitting',
  'agenda',
  'vote',
  'presence',
  'delegation',
  'delegate',
  'roster',
  'proxy',
  'resolution',
  'clause',
  'amendment',
  'voting_list',
  'correction',
  // The floor (src/floor): speakers' lists, motions and the floor settings.
  'speakers',
  'motion',
  'floor',
]);

/**
 * A speaker who asked to be listed without a name (where the conference allows it): any
 * object marked `private: true` loses these keys on the public topic.
 */
const PRIVATE_PERSON_KEYS = new Set(['delegateid', 'delegatename', 'delegationid', 'delegation', 'name']);

/** Keys never sent, at any depth: choices, credentials and receipts. */
const SECRET_KEYS = new Set([
  'choice',
  'choices',
  'split',
  'ballot',
  'ballots',
  'receipt',
  'receipts',
  'accesscode',
  'accesscodes',
  'accesscodehash',
  'password',
  'passwordhash',
  'token',
  'accesstoken',
  'ticket',
  'secretchoices',
]);

/** Keys that carry a running tally: only the final record (vote.closed) may show totals. */
const TALLY_KEYS = new Set(['totals', 'tally', 'bydelegation', 'running']);
/**
 * At close the signed record is public as it is (totals, and for a roll call the
 * per-delegation breakdown), except that a secret vote never shows a per-delegation
 * breakdown: a delegation of one, or a bloc, would name a choice.
 */
const CLOSED_DROP_KEYS = new Set(['running']);
const CLOSED_SECRET_DROP_KEYS = new Set(['running', 'bydelegation', 'byseat']);

function scrub(value: unknown, drop: Set<string>, depth: number): unknown {
  if (depth > 8) return null;
  if (Array.isArray(value)) return value.map((v) => scrub(v, drop, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    const anonymous = (value as { private?: unknown }).private === true;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const key = k.toLowerCase().replace(/[_-]/g, '');
      if (SECRET_KEYS.has(key) || drop.has(key)) continue;
      if (anonymous && PRIVATE_PERSON_KEYS.has(key)) continue;
      out[k] = scrub(v, drop, depth + 1);
    }
    return out;
  }
  return value;
}

export interface PublicEvent {
  event: string;
  data: Record<string, unknown>;
}

export function publicEvent(type: string, data: unknown): PublicEvent {
  const family = type.split('.')[0] ?? '';
  if (!PUBLIC_FAMILIES.has(family)) return { event: 'redacted', data: {} };
  // A closed vote's totals are public (they are in the signed record); before that, none.
  const secret = !!data && typeof data === 'object' && (data as { mode?: unknown }).mode !== 'roll_call';
  const drop = type !== 'vote.closed' ? TALLY_KEYS : secret ? CLOSED_SECRET_DROP_KEYS : CLOSED_DROP_KEYS;
  const clean = scrub(data ?? {}, drop, 0);
  return { event: type, data: clean && typeof clean === 'object' ? (clean as Record<string, unknown>) : {} };
}
