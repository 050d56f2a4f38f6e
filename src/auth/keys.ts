/**
 * The service's keys. Access tokens are HS256 with a secret shared by all instances:
 * every ballot verifies a token, and an HMAC costs a fraction of an EdDSA verify
 * (docs/decisions.md). Signed records use an Ed25519 key whose public half is published
 * at /.well-known/jwks.json with every retired key, so old records still verify.
 *
 * Production passes TOKEN_SECRET and SIGNING_KEY (a private JWK), and then only those
 * count: stored keys are ignored (with a warning), because anyone who can write the
 * database could otherwise add a key row that signs tokens or records. Without them the
 * keys are generated once and kept in the database, so that several instances on one
 * PostgreSQL share them (convenient for trying Plenary and for tests; NODE_ENV=production
 * refuses to start that way, src/config.ts).
 */
import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Logger } from 'pino';
import type { Db, DbOrTx } from '../db/client.js';
import { allServiceKeys, hasActiveKey, insertServiceKey, lockKeyInit, retireActiveKeys } from './auth-repository.js';

export interface HmacKey {
  kid: string;
  key: KeyObject;
}

export interface SigningKey {
  kid: string;
  alg: 'EdDSA';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface KeyRing {
  /** The key new access tokens are signed with. */
  tokenKey: HmacKey;
  /** Every token key still accepted, by kid. */
  tokenKeys: Map<string, KeyObject>;
  signingKey: SigningKey;
  /** Current and retired public keys, for the JWKS. */
  publicJwks: JWK[];
}

function kidOf(material: string): string {
  return createHash('sha256').update(material).digest('base64url').slice(0, 16);
}

export interface KeyOptions {
  /** TOKEN_SECRET, decoded. */
  tokenSecret?: Buffer | undefined;
  /** SIGNING_KEY: a private Ed25519 JWK as JSON. */
  signingKey?: string | undefined;
  /** Public keys of earlier configured signing keys, published with their windows. */
  retiredSigningKeys?: JWK[] | undefined;
  /** Where to warn about stored keys that configured ones override. */
  log?: Pick<Logger, 'warn'> | undefined;
}

/**
 * A stored key's validity window, published with it as the JWT NumericDate member `exp`
 * (seconds): set when the key is retired. The verifier refuses a signature dated after
 * its key's `exp`, so a retired key that leaks cannot sign a record dated later. No
 * `nbf` for a generated key: its creation time is the database's clock, and the dates
 * the service signs are its own (tests run the service on an earlier clock); a
 * configured key carries the `nbf` its JWK was given (`npm run keys` sets it).
 */
function windowOf(row: { retiredAt: Date | null }): { exp?: number } {
  return row.retiredAt ? { exp: Math.ceil(row.retiredAt.getTime() / 1000) } : {};
}

export async function loadKeyRing(db: Db, opts: KeyOptions): Promise<KeyRing> {
  // Two instances starting together must not each create a different key.
  await db.transaction(async (tx) => {
    await lockKeyInit(tx);
    if (!opts.tokenSecret && !(await hasActiveKey(tx, 'token-hmac'))) {
      const secret = randomBytes(32).toString('base64url');
      await insertServiceKey(tx, {
        kid: kidOf(`hmac:${secret}`),
        purpose: 'token-hmac',
        algorithm: 'HS256',
        privateJwk: { kty: 'oct', k: secret },
      });
    }
    if (!opts.signingKey && !(await hasActiveKey(tx, 'record-signing'))) await insertSigningKey(tx);
  });

  const rows = await allServiceKeys(db);
  const stored = (purpose: 'token-hmac' | 'record-signing') => rows.filter((r) => r.purpose === purpose);
  // Configured keys replace stored ones entirely: a key row that someone with write access
  // to the database slipped in must neither authenticate nor be published.
  const ignored = (setting: string, purpose: 'token-hmac' | 'record-signing') => {
    const n = stored(purpose).length;
    if (n > 0)
      opts.log?.warn(
        { purpose, kids: stored(purpose).map((r) => r.kid) },
        `${setting} is set: ${n} stored ${purpose} key(s) in service_keys are ignored; delete them once no one needs them`,
      );
  };

  const tokenKeys = new Map<string, KeyObject>();
  let tokenKey: HmacKey | undefined;
  if (opts.tokenSecret) {
    const key = createSecretKey(opts.tokenSecret);
    tokenKey = { kid: kidOf(`hmac:${opts.tokenSecret.toString('base64url')}`), key };
    tokenKeys.set(tokenKey.kid, key);
    ignored('TOKEN_SECRET', 'token-hmac');
  } else {
    for (const row of stored('token-hmac')) {
      // Retired HMAC keys are not accepted: rotating the secret logs everyone out, by design.
      if (row.retiredAt) continue;
      const key = createSecretKey(Buffer.from(String((row.privateJwk as JWK).k), 'base64url'));
      tokenKeys.set(row.kid, key);
      tokenKey ??= { kid: row.kid, key };
    }
  }
  if (!tokenKey) throw new Error('No token key available');

  const publicJwks: JWK[] = [];
  let signingKey: SigningKey | undefined;
  if (opts.signingKey) {
    const jwk = JSON.parse(opts.signingKey) as JWK;
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.d)
      throw new Error('SIGNING_KEY must be a private Ed25519 JWK');
    const { d: _d, ...pub } = jwk;
    const kid = jwk.kid ?? kidOf(`ed25519:${jwk.x}`);
    // Its window, if any, is the operator's: nbf and exp as given in the JWK.
    const publicJwk = { ...pub, kid, alg: 'EdDSA', use: 'sig' };
    const privateKey = (await importJWK({ ...jwk, kid }, 'EdDSA')) as CryptoKey;
    signingKey = { kid, alg: 'EdDSA', privateKey, publicJwk };
    publicJwks.push(publicJwk);
    for (const k of opts.retiredSigningKeys ?? [])
      if (!publicJwks.some((p) => p.kid === k.kid)) publicJwks.push({ ...k, alg: 'EdDSA', use: 'sig' });
    ignored('SIGNING_KEY', 'record-signing');
  } else {
    const signingRows = stored('record-signing').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    for (const row of signingRows) {
      const publicJwk = { ...(row.publicJwk as JWK), ...windowOf(row) };
      if (!publicJwks.some((k) => k.kid === publicJwk.kid)) publicJwks.push(publicJwk);
      if (!signingKey && !row.retiredAt) {
        signingKey = {
          kid: row.kid,
          alg: 'EdDSA',
          privateKey: (await importJWK(row.privateJwk as JWK, 'EdDSA')) as CryptoKey,
          publicJwk,
        };
      }
    }
  }
  if (!signingKey) throw new Error('No signing key available');
  return { tokenKey, tokenKeys, signingKey, publicJwks };
}

async function insertSigningKey(db: DbOrTx): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const pub = await exportJWK(publicKey);
  const priv = await exportJWK(privateKey);
  const kid = kidOf(`ed25519:${pub.x}`);
  await insertServiceKey(db, {
    kid,
    purpose: 'record-signing',
    algorithm: 'EdDSA',
    publicJwk: { ...pub, kid, alg: 'EdDSA', use: 'sig' },
    privateJwk: { ...priv, kid, alg: 'EdDSA' },
  });
  return kid;
}

/**
 * Retire the current generated signing key and make a new one. Records signed before
 * keep verifying because the retired public key stays in the JWKS.
 */
export async function rotateSigningKey(db: Db): Promise<string> {
  return db.transaction(async (tx) => {
    await lockKeyInit(tx);
    await retireActiveKeys(tx, 'record-signing', new Date());
    return insertSigningKey(tx);
  });
}
