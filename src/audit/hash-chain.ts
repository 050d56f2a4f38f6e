// The per-conference event log as a hash chain. Everything here is meant to be
// recomputable by an independent verifier from the exported entries alone, so
// the exact byte formats are part of the contract and documented inline.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export interface ChainEntryContent {
  conferenceId: string;
  seq: number;
  type: string;
  actor: string | null;
  at: string /* ISO 8601 */;
  data: unknown;
}

export type ChainEntry = ChainEntryContent & { prevHash: string; contentHash: string; hash: string };

export type ChainVerification = { ok: true } | { ok: false; seq: number; reason: string };

/** prevHash of the first entry of every conference's chain. */
export const GENESIS_HASH: string = '0'.repeat(64);

// Lowercase only: the hash is over the ASCII text, so "AB" and "ab" would
// chain differently; one spelling must be canonical.
const HEX_HASH = /^[0-9a-f]{64}$/;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function fail(path: string, why: string): never {
  throw new TypeError(`canonicalJson: ${why} at ${path}`);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// Rebuilds the value as a plain JSON tree, refusing anything JSON.stringify
// (and therefore `canonicalize`) would drop or mangle silently: a function
// inside an array or object comes out of `canonicalize` as broken JSON, a
// sparse array as "[1,,2]", a Map as "{}", an invalid Date as null. What is
// hashed must be exactly what a verifier re-reads from the exported JSON.
function toJsonTree(value: unknown, path: string, stack: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) fail(path, `non-finite number ${value}`);
      return value;
    case 'undefined':
      return fail(path, 'undefined');
    case 'function':
    case 'symbol':
    case 'bigint':
      return fail(path, `unsupported ${typeof value}`);
    case 'object':
      break;
  }
  if (value === null) return null;
  const obj = value as object;
  if (stack.has(obj)) fail(path, 'circular reference');
  if (obj instanceof Date && Number.isNaN(obj.getTime())) fail(path, 'invalid Date');

  stack.add(obj);
  try {
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      return toJsonTree((toJSON as () => unknown).call(obj), path, stack);
    }
    if (Array.isArray(obj)) {
      const out: unknown[] = [];
      for (let i = 0; i < obj.length; i++) {
        if (!(i in obj)) fail(`${path}[${i}]`, 'array hole');
        out.push(toJsonTree(obj[i] as unknown, `${path}[${i}]`, stack));
      }
      return out;
    }
    if (!isPlainObject(obj)) fail(path, `non-plain object (${obj.constructor?.name ?? 'unknown'})`);
    // Null prototype so a "__proto__" key stays an ordinary own key.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [key, v] of Object.entries(obj)) {
      // Omitted, as JSON.stringify and every JSON store do: `{ note: undefined }`
      // and `{}` are the same record once stored, so they must hash the same.
      if (v === undefined) continue;
      Object.defineProperty(out, key, {
        value: toJsonTree(v, `${path}.${key}`, stack),
        enumerable: true,
        writable: false,
        configurable: false,
      });
    }
    return out;
  } finally {
    stack.delete(obj);
  }
}

/**
 * RFC 8785 (JCS) serialization: keys sorted by UTF-16 code units, numbers as
 * ECMAScript prints them (1e+21, 0.1, -0 as 0), minimal string escaping.
 * Throws TypeError on undefined (top level or in arrays), functions, symbols,
 * bigints, non-finite numbers, circular references, array holes, non-plain
 * objects without toJSON and invalid Dates; throws Error on lone surrogates.
 * Object properties whose value is undefined are omitted.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(toJsonTree(value, '$', new Set()));
  if (text === undefined) throw new TypeError('canonicalJson: value has no JSON representation');
  return text;
}

function checkContent(c: ChainEntryContent): void {
  if (typeof c.conferenceId !== 'string') throw new TypeError('conferenceId must be a string');
  if (!Number.isSafeInteger(c.seq) || c.seq < 0) throw new TypeError('seq must be a non-negative safe integer');
  if (typeof c.type !== 'string') throw new TypeError('type must be a string');
  if (c.actor !== null && typeof c.actor !== 'string') throw new TypeError('actor must be a string or null');
  if (typeof c.at !== 'string') throw new TypeError('at must be an ISO 8601 string');
  // canonicalJson would drop it, leaving a hash that looks like a valid one.
  if (c.data === undefined) throw new TypeError('data must be present (use null for none)');
}

/**
 * Hex SHA-256 of the canonical JSON (UTF-8) of exactly these six fields:
 *   {"actor":…,"at":…,"conferenceId":…,"data":…,"seq":…,"type":…}
 * Only these fields are picked, so a stored row passed in whole (with its
 * prevHash, hash, id, …) hashes the same as its bare content.
 */
export function contentHash(content: ChainEntryContent): string {
  checkContent(content);
  const { conferenceId, seq, type, actor, at, data } = content;
  return sha256Hex(canonicalJson({ conferenceId, seq, type, actor, at, data }));
}

/**
 * Hex SHA-256 of the ASCII string `${prevHash}:${contentHash}`: two 64-char
 * lowercase hex strings joined by a colon (129 bytes, no newline). This is the
 * format an independent verifier recomputes; the first entry uses GENESIS_HASH.
 */
export function entryHash(prevHash: string, contentHashHex: string): string {
  if (!HEX_HASH.test(prevHash)) throw new TypeError('prevHash must be 64 lowercase hex characters');
  if (!HEX_HASH.test(contentHashHex)) throw new TypeError('contentHash must be 64 lowercase hex characters');
  return sha256Hex(`${prevHash}:${contentHashHex}`);
}

/**
 * Checks, entry by entry: seq increases by exactly 1, all entries belong to
 * one conference, prevHash links to the previous entry (or startPrevHash,
 * default GENESIS_HASH), contentHash and hash recompute. Reports the first
 * failure.
 *
 * A chain cannot reveal that entries were cut off its end, nor a rewrite of
 * everything after some point: that needs an anchored head (the signed
 * vote.closed entry, or a published latest hash). startSeq, when given, pins
 * the first entry's seq.
 */
export function verifyChain(
  entries: readonly ChainEntry[],
  opts?: { startPrevHash?: string; startSeq?: number },
): ChainVerification {
  let expectedPrev = opts?.startPrevHash ?? GENESIS_HASH;
  if (!HEX_HASH.test(expectedPrev)) throw new TypeError('startPrevHash must be 64 lowercase hex characters');
  let expectedSeq = opts?.startSeq;
  const conferenceId = entries[0]?.conferenceId;

  for (const e of entries) {
    const seq = e.seq;
    const bad = (reason: string): ChainVerification => ({ ok: false, seq, reason });

    if (!Number.isSafeInteger(seq)) return bad('seq is not an integer');
    if (expectedSeq !== undefined && seq !== expectedSeq) {
      return bad(`seq ${seq} where ${expectedSeq} was expected`);
    }
    if (e.conferenceId !== conferenceId) return bad('entry belongs to another conference');
    if (e.prevHash !== expectedPrev) return bad('prevHash does not match the previous entry hash');

    let recomputed: string;
    try {
      recomputed = contentHash(e);
    } catch (err) {
      return bad(`content cannot be hashed: ${(err as Error).message}`);
    }
    if (e.contentHash !== recomputed) return bad('contentHash does not match the content');

    const hash = entryHash(e.prevHash, e.contentHash);
    if (e.hash !== hash) return bad('hash does not match prevHash and contentHash');

    expectedPrev = e.hash;
    expectedSeq = seq + 1;
  }
  return { ok: true };
}
