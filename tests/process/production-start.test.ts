/**
 * NODE_ENV=production as a real process (issue 20, S4): without configured keys the
 * service refuses to start (exit 2, one clear line) before it opens any database; with
 * keys given as container-secret files it starts, publishes only the configured key and
 * seeds nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, startServer, type ServerProcess } from '../support/server-process.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plenary-prod-'));
let server: ServerProcess | undefined;

afterAll(async () => {
  await server?.stop('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('NODE_ENV=production', () => {
  it('refuses to start without configured keys, and creates nothing', async () => {
    const { exited, output } = spawnServer({ NODE_ENV: 'production', DATA_DIR: path.join(dataDir, 'none') });
    expect(await exited).toBe(2);
    expect(output()).toMatch(/^plenary: NODE_ENV=production needs TOKEN_SECRET .* and SIGNING_KEY/m);
    expect(fs.existsSync(path.join(dataDir, 'none'))).toBe(false);
  });

  it('starts with keys from files, publishes only the configured key and seeds no demo', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'prod-key-1', nbf: Math.floor(Date.now() / 1000) };
    const secrets = path.join(dataDir, 'secrets');
    fs.mkdirSync(secrets);
    fs.writeFileSync(path.join(secrets, 'token_secret'), randomBytes(32).toString('base64'));
    fs.writeFileSync(path.join(secrets, 'signing_key'), JSON.stringify(jwk));
    server = await startServer({
      NODE_ENV: 'production',
      DATA_DIR: path.join(dataDir, 'data'),
      TOKEN_SECRET_FILE: path.join(secrets, 'token_secret'),
      SIGNING_KEY_FILE: path.join(secrets, 'signing_key'),
      PLENARY_ADMIN_PASSWORD: 'prod-admin-password-1',
    });
    const jwks = (await (await fetch(`${server.baseUrl}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; nbf: number; d?: string }[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: 'prod-key-1', nbf: jwk.nbf });
    expect(jwks.keys[0]!.d).toBeUndefined();
    const conferences = (await (await fetch(`${server.baseUrl}/api/v1/conferences`)).json()) as { items: unknown[] };
    expect(conferences.items).toEqual([]);
    expect(server.output()).not.toContain('prod-admin-password-1');
  });
});
