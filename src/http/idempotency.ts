/**
 * Idempotency-Key support for writes that a phone may retry (venue Wi-Fi drops answers,
 * not only requests). A record is keyed per account, so two phones inventing the same key
 * never collide, and it is stored in the same transaction as the write it answers: a
 * committed write always has its answer on record, a rolled-back one never does.
 *
 * Privacy measures, because a record ties an account to a request and its answer. Everything
 * that depends on what was asked is keyed with a secret only the client holds, its
 * Idempotency-Key (a fresh random UUID per ballot), which the database never sees:
 * - the key column holds a hash of the client's key, never the key itself;
 * - the request hash is an HMAC under a key derived from the Idempotency-Key. An unkeyed
 *   hash of a secret ballot's body has three possible values (yes, no, abstain): a reader
 *   of the table would map every account to its choice with a three-entry dictionary;
 * - a `sealed` answer (a secret ballot's receipt, which leads to the unlinked choice) is
 *   encrypted with a key derived from the Idempotency-Key. Only the phone that holds the
 *   key can have the answer replayed.
 * A secret vote's records are deleted in the transaction that closes it (closeVote): after
 * the close no ballot can be retried, and nothing in the table ties an account to it.
 * Someone reading the table learns that an account voted, not how (docs/decisions.md says
 * what "secret" does and does not protect against).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { canonicalJson } from '../audit/hash-chain.js';
import type { DbOrTx } from '../db/client.js';
import { findIdempotencyRow, type IdempotencyRow } from './idempotency-repository.js';

export type { IdempotencyRow };

const KEY_PATTERN = /^[A-Za-z0-9._:-]{8,200}$/;

export interface IdempotencyRequest {
  accountId: string;
  /** The client's key as sent. */
  key: string;
  /** A name for the kind of write (e.g. 'ballot'); kept for operators reading the table. */
  scope: string;
  /** requestHash(key, method, path, body) */
  requestHash: string;
  /** The vote a ballot is for: a secret vote's records are deleted when it closes. */
  voteId?: string;
}

export interface StoredAnswer<T> {
  status: number;
  body: T;
  /** True when this answer was replayed from an earlier request with the same key. */
  replayed: boolean;
}

/** The Idempotency-Key header, required: 400 'idempotency_key_required' when missing or malformed. */
export function idempotencyKeyOf(req: FastifyRequest): string {
  const raw = req.headers['idempotency-key'];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || key === '') {
    throw new DomainError(
      'invalid',
      'idempotency_key_required',
      'Send an Idempotency-Key header (a fresh UUID per ballot) so that a retried request is counted once.',
    );
  }
  if (!KEY_PATTERN.test(key)) {
    throw new DomainError(
      'invalid',
      'idempotency_key_invalid',
      'The Idempotency-Key must be 8 to 200 characters of letters, digits, ".", "_", ":" or "-".',
    );
  }
  return key;
}

/**
 * What the request asks for, as an HMAC keyed by the client's Idempotency-Key: the same key
 * with another body is a different request, and without the key (which the database never
 * holds) the stored value cannot be matched against a guessed body.
 */
export function requestHash(key: string, method: string, path: string, body: unknown): string {
  const mac = hkdfSha256(key, '', 'plenary-idempotency-request');
  return createHmac('sha256', mac)
    .update(`${method.toUpperCase()} ${path.split('?')[0]}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

/** What the key column holds: the client's key never reaches the database. */
export function storedKey(key: string): string {
  return createHash('sha256').update(`plenary-idempotency-key:${key}`).digest('hex');
}

function sealingKey(accountId: string, key: string): Buffer {
  return hkdfSha256(key, accountId, 'plenary-idempotency-seal');
}

/**
 * HKDF-SHA-256 (RFC 5869) with one 32-byte output block: HMAC(HMAC(salt, ikm), info || 1).
 * The same bytes as node:crypto's hkdfSync('sha256', ikm, salt, info, 32) (an empty salt is
 * HashLen zero bytes, which HMAC pads to the same key), at a fraction of its cost: hkdfSync
 * builds key objects on every call, and every ballot derives two keys (6% of the service's
 * CPU in a 5,000-delegate burst, bench/results/profile-postgres.md of 2026-12-01).
 */
export function hkdfSha256(ikm: string, salt: string, info: string): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  return createHmac('sha256', prk).update(info).update(ONE).digest();
}
const ONE = Buffer.from([1]);

/** AES-256-GCM under a key derived from the client's Idempotency-Key. */
export function sealAnswer(accountId: string, key: string, body: unknown): { sealed: string } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(accountId, key), iv);
  const ct = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
  return { sealed: Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url') };
}

function unsealAnswer(accountId: string, key: string, stored: { sealed: string }): unknown {
  const buf = Buffer.from(stored.sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(accountId, key), buf.subarray(0, 12));
  decipher.setAuthTag(buf.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString('utf8'));
}

/**
 * Turns a stored record into the answer for this request: the stored answer when the
 * request is the same, 422 'idempotency_key_reused' when the key came with another body.
 */
export function replayOf<T>(req: IdempotencyRequest, row: IdempotencyRow): StoredAnswer<T> {
  if (row.requestHash !== req.requestHash) {
    throw new DomainError(
      'unprocessable',
      'idempotency_key_reused',
      'This Idempotency-Key was already used for a different request; use a new key for a new ballot.',
    );
  }
  const response = row.response as { sealed?: unknown };
  const body =
    response && typeof response === 'object' && typeof response.sealed === 'string'
      ? unsealAnswer(req.accountId, req.key, response as { sealed: string })
      : row.response;
  return { status: row.status, body: body as T, replayed: true };
}

export async function findIdempotencyRecord(db: DbOrTx, req: IdempotencyRequest): Promise<IdempotencyRow | null> {
  return findIdempotencyRow(db, req.accountId, storedKey(req.key));
}
