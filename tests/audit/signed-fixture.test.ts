/**
 * A record signed once by the service is checked into tests/fixtures with the service's
 * JWKS as it stood AFTER the signing key was rotated: the record's key is retired, still
 * published, and the record still verifies. The rotation itself is also run live here.
 *
 * To write the fixture again: PLENARY_WRITE_FIXTURE=1 npx vitest run tests/audit/signed-fixture.test.ts
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer } from '../support/auth.js';
import { loadKeyRing, rotateSigningKey } from '../../src/auth/keys.js';
import { verifyRecord, type Jwks } from '../../scripts/verify-core.js';
import { runEngineVote, smallConferenceWithVotes } from './support/engine-votes.js';

const run = promisify(execFile);
const FIXTURE = path.resolve('tests/fixtures/signed-record.json');
const FIXTURE_JWKS = path.resolve('tests/fixtures/signed-record.jwks.json');
const failed = (checks: { ok: boolean; name: string; detail?: string }[]) =>
  checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail ?? ''}`);

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

afterAll(async () => {
  await t?.close();
});

describe('a signed record across a key rotation', () => {
  it('the checked-in record verifies with the CLI against the checked-in JWKS, where its key is retired', async () => {
    const record = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { signature: { kid: string } };
    const jwks = JSON.parse(fs.readFileSync(FIXTURE_JWKS, 'utf8')) as Jwks;
    // The current key comes first in the published JWKS; the record's is an older one.
    expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    expect(jwks.keys[0]!.kid).not.toBe(record.signature.kid);
    expect(jwks.keys.map((k) => k.kid)).toContain(record.signature.kid);
    expect(failed(await verifyRecord(record as never, jwks))).toEqual([]);
    const { stdout } = await run('npx', ['tsx', 'scripts/verify.ts', FIXTURE, '--jwks', FIXTURE_JWKS]);
    expect(stdout).toMatch(new RegExp(`PASS signature of the vote.closed entry — EdDSA, kid ${record.signature.kid}`));
    expect(stdout).toMatch(/^OK: /m);

    // Without the retired key the signature is refused.
    const current = { keys: jwks.keys.filter((k) => k.kid !== record.signature.kid) };
    expect(failed(await verifyRecord(record as never, current)).join()).toMatch(/not in the JWKS/);
  }, 180_000);

  it('live: rotate the key; the old record still verifies, new records are signed with the new key', async () => {
    const { f, rollCall } = await smallConferenceWithVotes(t);
    const auditor = await f.auditorToken();
    const before = (
      await t.app.inject({ url: `/api/v1/votes/${rollCall.voteId}/record`, headers: bearer(auditor) })
    ).json<{ signature: { kid: string } }>();
    const oldKid = t.ctx.keys.signingKey.kid;
    expect(before.signature.kid).toBe(oldKid);

    const newKid = await rotateSigningKey(t.ctx.db);
    t.ctx.keys = await loadKeyRing(t.ctx.db, {
      tokenSecret: t.ctx.config.tokenSecret,
      signingKey: t.ctx.config.signingKey,
    });
    expect(t.ctx.keys.signingKey.kid).toBe(newKid);
    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);

    expect(failed(await verifyRecord(before as never, jwks))).toEqual([]);
    const after = await runEngineVote(t, f, { title: 'After rotation' }, [['Ann', { choice: 'yes' }]]);
    const record = (
      await t.app.inject({ url: `/api/v1/votes/${after.voteId}/record`, headers: bearer(auditor) })
    ).json<{ signature: { kid: string } }>();
    expect(record.signature.kid).toBe(newKid);
    expect(failed(await verifyRecord(record as never, jwks))).toEqual([]);

    if (process.env.PLENARY_WRITE_FIXTURE === '1') {
      fs.writeFileSync(FIXTURE, JSON.stringify(before, null, 2) + '\n');
      fs.writeFileSync(FIXTURE_JWKS, JSON.stringify(jwks, null, 2) + '\n');
    }
  });
});
