/**
 * `npm run trustee` against the real service over HTTP (docs/tellers.md): three tellers'
 * processes, each with its own key file on disk, make the key of a 2-of-3 ceremony; after
 * the close two of them decrypt, in --watch, and the totals are those of the ballots. The
 * key files are written 0600 with no temporary file left, and a run that is not the
 * teller's own is refused before anything is sent.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ADMIN_PASSWORD, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { repoRoot } from '../support/server-process.js';
import { voteShape } from '../../src/domain/e2e/shapes.js';
import { choiceValues, encryptBallot } from '../../src/domain/e2e/ballot.js';
import { fixedBase } from '../../src/domain/e2e/group.js';
import { parseTellerKeyFile } from '../../src/domain/e2e/teller-steps.js';
import {
  beginDecryption,
  checkEncryptedBallot,
  createCeremony,
  storeEncryptedBallot,
  type E2eSubject,
} from '../../src/e2e/e2e-service.js';
import { accountIdOf, draftVote, state } from './tellers-support.js';

let t: TestApp;
let f: ConferenceFixture;
let base: string;
let subject: E2eSubject;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plenary-trustee-'));
const SHAPE = voteShape();

interface Teller {
  index: number;
  username: string;
  password: string;
  key: string;
}
let tellers: Teller[];

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, { delegations: [{ name: 'Labour', delegates: [{ name: 'Ann' }] }] });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = t.app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const staff = [f.chair, f.auditor, { username: 'admin', password: ADMIN_PASSWORD }];
  tellers = staff.map((s, i) => ({ index: i + 1, ...s, key: path.join(dir, `teller-${i + 1}.json`) }));
  subject = { kind: 'vote', id: await draftVote(t, f) };
  const accountIds: string[] = [];
  for (const s of staff) accountIds.push(await accountIdOf(t, s.username));
  await t.ctx.db.transaction((tx) =>
    createCeremony(tx, subject, { conferenceId: f.conferenceId, tellers: { accountIds, threshold: 2 }, shape: SHAPE }),
  );
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One run of the CLI as a teller would start it; the password from the environment. */
function trustee(
  who: Teller,
  args: string[] = [],
  key = who.key,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/trustee.ts',
        '--url',
        base,
        '--username',
        who.username,
        '--vote',
        subject.id,
        '--key',
        key,
        '--interval-ms',
        '200',
        ...args,
      ],
      {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PLENARY_PASSWORD: who.password },
        timeout: 120_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run trustee: three tellers on their own machines', () => {
  const outputs = new Map<number, string>();

  it('make the key: each run publishes what it can and stops at the first wait, until ready', async () => {
    for (let round = 0; round < 5; round++) {
      const runs = await Promise.all(tellers.map((x) => trustee(x)));
      for (const [i, r] of runs.entries()) {
        expect(r.code, r.stderr + r.stdout).toBe(0);
        outputs.set(i + 1, (outputs.get(i + 1) ?? '') + r.stdout);
      }
      if ((await state(t, 'vote', subject.id)).phase === 'ready') break;
    }
    const s = await state(t, 'vote', subject.id);
    expect(s.phase).toBe('ready');
    expect(s.qualified).toEqual([1, 2, 3]);
    expect(s.checks).toEqual([1, 2, 3].map((index) => ({ index, complaints: [] })));
    for (const x of tellers) {
      const out = outputs.get(x.index)!;
      expect(out).toContain(`teller ${x.index}: new key file ${x.key}`);
      expect(out).toContain(`teller ${x.index}: published its identity key`);
      expect(out).toContain(`teller ${x.index}: published its dealing (3 encrypted shares)`);
      expect(out).toContain(`teller ${x.index}: published its checks: every share it received is good`);
      // The key file is the teller's own: 0600, complete, nothing left beside it.
      if (process.platform !== 'win32') expect(fs.statSync(x.key).mode & 0o777).toBe(0o600);
      const key = parseTellerKeyFile(JSON.parse(fs.readFileSync(x.key, 'utf8')));
      expect(key).toMatchObject({ context: ['vote', subject.id], index: x.index });
      expect(s.identities.find((i) => i.index === x.index)).toEqual(key.identity);
    }
    expect(fs.readdirSync(dir).sort()).toEqual(['teller-1.json', 'teller-2.json', 'teller-3.json']);

    // Once more: the key is ready, each device keeps s_l and says it waits for the close.
    const again = await trustee(tellers[0]!);
    expect(again.stdout).toBe('teller 1: the election key is ready: waiting for the vote to close\n');
    expect(parseTellerKeyFile(JSON.parse(fs.readFileSync(tellers[0]!.key, 'utf8'))).share).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses to act for another teller: the chair with the auditor's key file", async () => {
    const r = await trustee(tellers[0]!, [], tellers[1]!.key);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`teller 2 is ${f.auditor.username}, not the signed-in account`);
    const wrongIndex = await trustee(tellers[0]!, ['--index', '3']);
    expect(wrongIndex.code).toBe(1);
    expect(wrongIndex.stderr).toContain('is the key file of teller 1, not 3');
  });

  it('after the close, two tellers in --watch decrypt the totals; the third has nothing to do', async () => {
    const s = await state(t, 'vote', subject.id);
    const y = fixedBase(s.publicKey!);
    const ballots = [
      { weight: 3, choice: 'yes' },
      { weight: 1, choice: 'no' },
      { weight: 2, choice: 'yes' },
      { weight: 4, choice: 'abstain' },
    ];
    for (const b of ballots) {
      const seatId = randomUUID();
      const statement = { context: [...s.context, 'seat', seatId], weight: b.weight, split: false };
      const { ballot } = encryptBallot(SHAPE, statement, y, choiceValues(SHAPE, b.weight, [b.choice]));
      const checked = await checkEncryptedBallot(t.ctx.db, subject, { seatId, weight: b.weight }, false, ballot);
      await t.ctx.db.transaction((tx) =>
        storeEncryptedBallot(tx, subject, { seatId, weight: b.weight, split: false, ...checked }),
      );
    }
    // The watchers start before the close: they wait for it, then decrypt.
    const watching = [tellers[0]!, tellers[2]!].map((x) => trustee(x, ['--watch']));
    await new Promise((r) => setTimeout(r, 500));
    await t.ctx.db.transaction((tx) => beginDecryption(tx, subject));
    const [one, three] = await Promise.all(watching);
    expect(one!.code, one!.stderr).toBe(0);
    expect(three!.code, three!.stderr).toBe(0);
    for (const [index, r] of [
      [1, one!],
      [3, three!],
    ] as const) {
      expect(r.stdout).toContain(`teller ${index}: published its partial decryption (3 options)`);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(`teller ${index}: decrypted: yes 5, no 1, abstain 4`);
    }
    const done = await state(t, 'vote', subject.id);
    expect(done.phase).toBe('decrypted');
    expect(done.totals).toEqual({ yes: 5, no: 1, abstain: 4 });
    expect(done.partials.map((p) => p.index).sort()).toEqual([1, 3]);

    const late = await trustee(tellers[1]!, ['--once']);
    expect(late.code, late.stderr).toBe(0);
    expect(late.stdout).toBe('teller 2: decrypted: yes 5, no 1, abstain 4\n');
    expect((await state(t, 'vote', subject.id)).partials).toHaveLength(2);
  });
});
