/**
 * Settings that keep keys and credentials out of reach (issue 20: S4 and the lows on
 * TOKEN_SECRET, production defaults). loadConfig is the only reader of the environment.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { start } from '../../src/bootstrap.js';
import pino from 'pino';
import { freshDatabase, testConfig } from '../support/test-app.js';

let dir: string;
let signingKey: string;
const tokenSecret = randomBytes(32).toString('base64');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plenary-config-'));
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  signingKey = JSON.stringify(await exportJWK(privateKey));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const refused = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe('NODE_ENV=production', () => {
  it('refuses to start without configured keys, naming what is missing', () => {
    expect(refused({ NODE_ENV: 'production' })).toMatch(
      /NODE_ENV=production needs TOKEN_SECRET \(or TOKEN_SECRET_FILE\) and SIGNING_KEY \(or SIGNING_KEY_FILE\)/,
    );
    expect(refused({ NODE_ENV: 'production', TOKEN_SECRET: tokenSecret })).toMatch(/needs SIGNING_KEY/);
    expect(refused({ NODE_ENV: 'production', SIGNING_KEY: signingKey })).toMatch(/needs TOKEN_SECRET/);
  });

  it('starts with configured keys and seeds no demo conference unless asked', () => {
    const c = loadConfig({ NODE_ENV: 'production', TOKEN_SECRET: tokenSecret, SIGNING_KEY: signingKey });
    expect(c.production).toBe(true);
    expect(c.seed).toBe('none');
    expect(loadConfig({}).seed).toBe('demo');
    expect(
      loadConfig({ NODE_ENV: 'production', TOKEN_SECRET: tokenSecret, SIGNING_KEY: signingKey, PLENARY_SEED: 'demo' })
        .seed,
    ).toBe('demo');
  });

  it('refuses to create the first admin with a generated (printed) password', async () => {
    const fresh = await freshDatabase(1);
    const config = testConfig({ production: true, adminPassword: undefined, databaseUrl: fresh.url });
    try {
      await expect(start(config, { log: pino({ level: 'silent' }), database: fresh.database })).rejects.toThrow(
        /set PLENARY_ADMIN_PASSWORD for the first start/,
      );
    } finally {
      await fresh.drop();
    }
  });

  it('generated keys remain the default outside production', () => {
    const c = loadConfig({});
    expect(c.production).toBe(false);
    expect(c.tokenSecret).toBeUndefined();
    expect(c.signingKey).toBeUndefined();
  });
});

describe('TOKEN_SECRET is 32 random bytes (RFC 8725), in hex or base64', () => {
  it('refuses 32 typed characters and short or patterned keys', () => {
    expect(refused({ TOKEN_SECRET: 'correct horse battery staple 1234' })).toMatch(/neither hex nor base64/);
    expect(refused({ TOKEN_SECRET: 'z'.repeat(32) })).toMatch(/decodes to 24 bytes/);
    expect(refused({ TOKEN_SECRET: 'ab'.repeat(32) })).toMatch(/does not look random/);
    expect(refused({ TOKEN_SECRET: randomBytes(31).toString('hex') })).toMatch(/decodes to 31 bytes/);
  });

  it('accepts hex, base64 and base64url, decoded to the same key', () => {
    const bytes = randomBytes(32);
    for (const text of [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')])
      expect(loadConfig({ TOKEN_SECRET: text }).tokenSecret).toEqual(bytes);
  });
});

describe('keys from files (container secrets)', () => {
  it('reads TOKEN_SECRET_FILE and SIGNING_KEY_FILE, trimmed', () => {
    fs.writeFileSync(path.join(dir, 'token'), `${tokenSecret}\n`);
    fs.writeFileSync(path.join(dir, 'signing'), `${signingKey}\n`);
    const c = loadConfig({
      NODE_ENV: 'production',
      TOKEN_SECRET_FILE: path.join(dir, 'token'),
      SIGNING_KEY_FILE: path.join(dir, 'signing'),
    });
    expect(c.tokenSecret).toEqual(Buffer.from(tokenSecret, 'base64'));
    expect(c.signingKey).toBe(signingKey);
  });

  it('refuses both a value and a file, a missing file, and a public key as SIGNING_KEY', async () => {
    fs.writeFileSync(path.join(dir, 'token2'), tokenSecret);
    expect(refused({ TOKEN_SECRET: tokenSecret, TOKEN_SECRET_FILE: path.join(dir, 'token2') })).toMatch(
      /TOKEN_SECRET or TOKEN_SECRET_FILE, not both/,
    );
    expect(refused({ SIGNING_KEY_FILE: path.join(dir, 'nope') })).toMatch(
      /SIGNING_KEY_FILE: cannot read .* \(ENOENT\)/,
    );
    const { d: _d, ...pub } = JSON.parse(signingKey) as Record<string, unknown>;
    expect(refused({ SIGNING_KEY: JSON.stringify(pub) })).toMatch(/private Ed25519 JWK/);
    expect(refused({ SIGNING_KEY: JSON.stringify({ ...JSON.parse(signingKey), nbf: 'soon' }) })).toMatch(/NumericDate/);
  });

  it('RETIRED_SIGNING_KEYS takes public keys with the exp of their retirement only', () => {
    const { d: _d, ...pub } = JSON.parse(signingKey) as Record<string, unknown>;
    const ok = { ...pub, kid: 'old', nbf: 1_700_000_000, exp: 1_800_000_000 };
    expect(loadConfig({ RETIRED_SIGNING_KEYS: JSON.stringify({ keys: [ok] }) }).retiredSigningKeys).toEqual([ok]);
    expect(refused({ RETIRED_SIGNING_KEYS: JSON.stringify({ keys: [{ ...ok, exp: undefined }] }) })).toMatch(
      /needs exp/,
    );
    expect(
      refused({ RETIRED_SIGNING_KEYS: JSON.stringify({ keys: [{ ...JSON.parse(signingKey), kid: 'x', exp: 1 }] }) }),
    ).toMatch(/holds a private key/);
  });
});
