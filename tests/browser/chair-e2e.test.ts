/**
 * Encrypted (secret_e2e) ballots in the chair's console, in real Chromium against the real
 * service on a real port, on the demo conference (1366x768): the chair switches the demo
 * presidium to encrypted ballots with the seeded tellers (3, 2 needed), prepares them, and
 * watches the key ceremony advance step by step while the tellers run it from their own
 * "devices" (the real crypto, over HTTP, each holding only its own secrets); "Open" waits
 * for the key; ballots encrypted on "phones" come in as a count, never a tally; the close
 * gives counting with 0 of 2, then 1 of 2 partial decryptions; the second gives the
 * elected. Then an encrypted vote created from the console with tellers picked, and one
 * whose ceremony fails (a teller deals a wrong share, 3 of 3 needed) and is restarted from
 * the console. The ranked
 * committee election says why it stays secret. axe-core in every state.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signInWithCode, signInWithPassword } from '../support/auth.js';
import { post, runCeremony, state, TellerDevice, type Kind } from '../e2e/tellers-support.js';
import { encryptShare, signDealing, type Dealing, type TellerIdentity } from '../../src/domain/e2e/tellers.js';
import { randomScalar } from '../../src/domain/e2e/group.js';
import { choiceValues, encryptBallot, type BallotShape } from '../../src/domain/e2e/ballot.js';
import { pointFromHex } from '../../src/domain/e2e/group.js';
import {
  axeViolations,
  describeViolations,
  haveChromium,
  launchChromium,
  watchPage,
  weighPage,
} from './support/browser.js';

const LAPTOP = { width: 1366, height: 768 };

let t: TestApp;
let browser: Browser;
let base = '';
const report: string[] = [];
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function expectAccessible(page: Page, what: string): Promise<void> {
  const v = await axeViolations(page);
  expect(describeViolations(v), `axe on ${what}`).toEqual([]);
  report.push(`axe ${what}: 0 violations`);
}

async function confirm(page: Page, label: string): Promise<void> {
  const dialog = page.getByRole('dialog');
  await expect.poll(() => dialog.count()).toBe(1);
  await dialog.getByRole('button', { name: label }).click();
  await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
}

/** A teller's device publishes one step; the answer is the ceremony's state. */
async function publish(kind: Kind, id: string, d: TellerDevice, step: string, body: unknown): Promise<void> {
  const res = await post(t, kind, id, `${d.index}/${step}`, d.token, body);
  expect(res.statusCode, `teller ${d.index} ${step}: ${res.body}`).toBe(200);
}

const d = haveChromium ? describe : describe.skip;

d("the chair's console runs encrypted elections and votes", () => {
  let ctx: BrowserContext;
  let page: Page;
  let problems: string[];
  let devices: TellerDevice[];
  let tellerIds: string[];

  beforeAll(async () => {
    [t, browser] = await Promise.all([createTestApp({ seed: 'demo' }), launchChromium()]);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const demo = t.demo!;
    devices = await Promise.all(
      demo.tellers.map(async (x, i) => new TellerDevice(i + 1, await signInWithPassword(t, x.username, x.password))),
    );
    const chair = await signInWithPassword(t, demo.chair.username, demo.chair.password);
    const listed = await t.app.inject({
      url: `/api/v1/conferences/${demo.conferenceId}/teller-accounts`,
      headers: bearer(chair),
    });
    const items = listed.json<{ items: { id: string; username: string }[] }>().items;
    tellerIds = demo.tellers.map((x) => items.find((i) => i.username === x.username)!.id);

    ctx = await browser.newContext({ viewport: LAPTOP, locale: 'en-GB' });
    page = await ctx.newPage();
    problems = watchPage(page).problems;
    const next = `/chair/${demo.conferenceId}`;
    await page.goto(`${base}/sign-in?next=${encodeURIComponent(next)}`);
    await page.getByLabel('Username').fill(demo.chair.username);
    await page.getByLabel('Password').fill(demo.chair.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}${next}`);
  });

  afterAll(async () => {
    await ctx?.close();
    await browser?.close();
    await t?.close();
    if (report.length) process.stdout.write(`\nchair e2e browser figures:\n  ${report.join('\n  ')}\n`);
  });

  it('the demo presidium: encrypted with 3 tellers (2 needed), the ceremony followed, opened, ballots counted, counting 0/2, 1/2, the elected', async () => {
    const demo = t.demo!;
    const id = demo.elections.presidiumId;
    const el = page.locator(`[data-election="${id}"]`);
    const phase = () => el.locator('[data-phase]').getAttribute('data-phase');
    const openButton = el.getByRole('button', { name: 'Open the election' });
    await expect.poll(() => el.count(), { timeout: 20_000 }).toBe(1);
    expect(await el.getAttribute('data-state')).toBe('draft');
    await expect.poll(() => el.getByText('Candidates: Katrin Albrecht').count()).toBe(1);
    // The ranked committee election says why it cannot be encrypted.
    const committee = page.locator(`[data-election="${demo.elections.committeeId}"]`);
    await expect.poll(() => committee.getByText('this method needs each ballot', { exact: false }).count()).toBe(1);
    expect(await committee.getByText('Encrypt the ballots, with tellers').count()).toBe(0);
    await expectAccessible(page, 'chair elections, drafts');

    // Encrypted, with the three seeded tellers, two needed.
    await el.getByText('Encrypt the ballots, with tellers').click();
    for (const x of demo.tellers) await el.getByLabel(`${x.username} (Auditor)`).check();
    await el.getByLabel('Tellers needed to decrypt').fill('2');
    await expectAccessible(page, 'chair election, tellers picked');
    await el.getByRole('button', { name: 'Make this election encrypted' }).click();
    await expect.poll(() => el.locator('[data-mode]').getAttribute('data-mode')).toBe('secret_e2e');
    await expect
      .poll(() => el.getByText('Tellers: teller1, teller2, teller3 (2 of 3 needed to decrypt).').count())
      .toBe(1);
    const patched = await t.app.inject({ url: `/api/v1/elections/${id}` });
    expect(patched.json()).toMatchObject({ mode: 'secret_e2e', tellers: { accountIds: tellerIds, threshold: 2 } });
    expect(await openButton.isDisabled()).toBe(true);

    // Prepared (behind a confirm: it freezes the candidates): the ceremony begins.
    await el.getByRole('button', { name: 'Prepare the tellers' }).click();
    await expect.poll(() => page.getByRole('dialog').getByText('This freezes the candidates').count()).toBe(1);
    await confirm(page, 'Prepare the tellers');
    await expect.poll(() => phase(), { timeout: 10_000 }).toBe('identities');
    expect(await openButton.isDisabled()).toBe(true);
    await expect.poll(() => el.getByText("Opens once the tellers' key is ready.", { exact: false }).count()).toBe(1);
    expect(await el.locator(`a[href="/trustee?election=${id}"]`).count()).toBe(1);
    await expectAccessible(page, 'chair election, ceremony: identities');

    // The tellers on their own devices: each step shows in the console as it is published.
    const row = (i: number) => el.locator(`[data-teller="${i}"] td`);
    let s = await state(t, 'election', id);
    for (const dv of devices) {
      await publish('election', id, dv, 'identity', dv.makeIdentity(s.context));
      if (dv.index < 3) {
        const started = Date.now();
        await expect.poll(() => row(dv.index).first().getAttribute('data-done'), { timeout: 10_000 }).toBe('yes');
        report.push(`teller ${dv.index}'s identity shown ${Date.now() - started} ms after it was published`);
        expect(await phase()).toBe('identities');
      }
    }
    await expect.poll(() => phase(), { timeout: 10_000 }).toBe('dealings');
    s = await state(t, 'election', id);
    for (const dv of devices) await publish('election', id, dv, 'dealing', await dv.makeDealing(s));
    await expect.poll(() => phase(), { timeout: 10_000 }).toBe('checks');
    await expectAccessible(page, 'chair election, ceremony: checks');
    s = await state(t, 'election', id);
    for (const dv of devices) await publish('election', id, dv, 'checks', await dv.makeChecks(s));
    await expect.poll(() => phase(), { timeout: 10_000 }).toBe('ready');
    s = await state(t, 'election', id);
    for (const dv of devices) dv.takeShare(s);
    for (const i of [1, 2, 3]) {
      expect(await el.locator(`[data-teller="${i}"] [data-status]`).getAttribute('data-status')).toBe('qualified');
      expect(await el.locator(`[data-teller="${i}"]`).innerText()).toContain('every share good');
    }
    await expect.poll(() => openButton.isDisabled()).toBe(false);
    await expectAccessible(page, 'chair election, ceremony: ready');

    // Open (behind a confirm).
    await openButton.click();
    await confirm(page, 'Open the election');
    await expect.poll(() => el.getAttribute('data-state'), { timeout: 10_000 }).toBe('open');
    const ballots = el.locator('[data-figure="ballots"] dd');
    await expect.poll(() => ballots.innerText()).toBe('0');
    expect(await el.getByText('No tally is shown before the count.').count()).toBe(1);

    // Ballots encrypted on the delegates' phones, cast through the API: the console counts them.
    const opened = await t.app.inject({ url: `/api/v1/elections/${id}` });
    const byName = new Map((opened.json<Json>().candidates as Json[]).map((c) => [c.name as string, c.id as string]));
    const yes = new Set(['Erik Sandelin', 'Helen Marchbank', 'Katrin Albrecht'].map((n) => byName.get(n)!));
    const selected = [...byName.values()].map((c) => `${c}:${yes.has(c) ? 'yes' : 'abstain'}`);
    const voters = demo.delegates.filter((x) => x.role !== 'alternate').slice(0, 3);
    for (const [i, v] of voters.entries()) {
      const token = await signInWithCode(t, v.accessCode);
      const c = (await t.app.inject({ url: `/api/v1/elections/${id}/castable`, headers: bearer(token) })).json<Json>();
      const seat = c.seats[0] as { seatId: string; weight: number };
      const shape = c.e2e.shape as BallotShape;
      const { ballot } = encryptBallot(
        shape,
        { context: [...(c.e2e.context as string[]), 'seat', seat.seatId], weight: seat.weight, split: false },
        pointFromHex(c.e2e.publicKey),
        choiceValues(shape, seat.weight, selected),
      );
      const cast = await t.app.inject({
        method: 'POST',
        url: `/api/v1/elections/${id}/ballots`,
        headers: { ...bearer(token), 'idempotency-key': crypto.randomUUID() },
        payload: { encrypted: ballot },
      });
      expect(cast.statusCode, cast.body).toBe(201);
      const started = Date.now();
      await expect.poll(() => ballots.innerText(), { timeout: 10_000 }).toBe(String(i + 1));
      report.push(`election ballot ${i + 1} counted in the console ${Date.now() - started} ms after its 201`);
    }
    expect(await el.innerText()).not.toMatch(/Erik Sandelin|yes \d/);
    await expectAccessible(page, 'chair election, open with ballots');

    // Close (behind a confirm): counting, 0 of 2 partial decryptions.
    await el.getByRole('button', { name: 'Close the election' }).click();
    await confirm(page, 'Close the election');
    await expect.poll(() => el.getAttribute('data-state'), { timeout: 10_000 }).toBe('counting');
    await expect.poll(() => phase()).toBe('decrypting');
    const partials = el.locator('[data-figure="partials"] dd');
    await expect.poll(() => partials.innerText()).toBe('0 of 2');
    await expect.poll(() => el.getByText('Counting: 0 of the 2 partial decryptions needed are in.').count()).toBe(1);
    await expectAccessible(page, 'chair election, counting 0/2');

    s = await state(t, 'election', id);
    await publish('election', id, devices[0]!, 'partial', devices[0]!.makePartial(s));
    await expect.poll(() => partials.innerText(), { timeout: 10_000 }).toBe('1 of 2');
    expect(await el.getAttribute('data-state')).toBe('counting');
    await expectAccessible(page, 'chair election, counting 1/2');
    await publish('election', id, devices[2]!, 'partial', devices[2]!.makePartial(s));
    await expect.poll(() => el.getAttribute('data-state'), { timeout: 10_000 }).toBe('closed');
    const elected = el.locator('[data-elected]');
    await expect.poll(() => elected.count(), { timeout: 10_000 }).toBe(1);
    const text = await elected.innerText();
    for (const n of ['Erik Sandelin', 'Helen Marchbank', 'Katrin Albrecht']) expect(text).toContain(n);
    expect(text).not.toContain('Marco Bellavista');
    expect(await elected.getAttribute('data-elected')).toBe('3');
    expect(await phase()).toBe('decrypted');
    await expectAccessible(page, 'chair election, closed with the elected');
    expect(problems).toEqual([]);
  });

  it('an encrypted vote created from the console with its tellers picked: Open waits for the key', async () => {
    const demo = t.demo!;
    const form = page.locator('details.create-vote');
    await form.locator('summary').click();
    await form.getByLabel('Title').fill('Encrypted motion on the budget');
    await form.getByLabel('Kind of vote').selectOption('secret_e2e');
    await expect.poll(() => form.getByText('Tellers: who holds a share of the key').count()).toBe(1);
    for (const x of demo.tellers) await form.getByLabel(`${x.username} (Auditor)`).check();
    await form.getByLabel('Tellers needed to decrypt').fill('2');
    await expectAccessible(page, 'chair new encrypted vote, tellers picked');
    await form.getByRole('button', { name: 'Create the vote' }).click();
    await expect.poll(() => page.getByText('Created: Encrypted motion on the budget.').count()).toBe(1);

    const panel: Locator = page.locator('section.vote-detail');
    await expect.poll(() => panel.locator('h2').innerText()).toBe('Encrypted motion on the budget');
    const voteId = (await panel.getAttribute('data-vote'))!;
    const vote = (await t.app.inject({ url: `/api/v1/votes/${voteId}/tellers` })).json<Json>();
    expect(vote.threshold).toBe(2);
    expect((vote.tellers as Json[]).map((x) => x.accountId)).toEqual(tellerIds);
    const phase = () => panel.locator('[data-phase]').getAttribute('data-phase');
    await expect.poll(() => phase(), { timeout: 10_000 }).toBe('identities');
    const open = panel.getByRole('button', { name: 'Open the vote' });
    expect(await open.isDisabled()).toBe(true);
    expect(await panel.getByText("Opens once the tellers' key is ready.", { exact: false }).count()).toBe(1);
    await expectAccessible(page, 'chair encrypted vote, ceremony: identities');

    const ds = devices.map((x) => new TellerDevice(x.index, x.token));
    let s = await state(t, 'vote', voteId);
    for (const dv of ds) await publish('vote', voteId, dv, 'identity', dv.makeIdentity(s.context));
    s = await state(t, 'vote', voteId);
    for (const dv of ds) await publish('vote', voteId, dv, 'dealing', await dv.makeDealing(s));
    s = await state(t, 'vote', voteId);
    for (const dv of ds) await publish('vote', voteId, dv, 'checks', await dv.makeChecks(s));
    await expect.poll(() => phase(), { timeout: 10_000 }).toBe('ready');
    await expect.poll(() => open.isDisabled()).toBe(false);
    await expectAccessible(page, 'chair encrypted vote, ceremony: ready');
    expect(problems).toEqual([]);
  });

  it('a ceremony that fails (a wrong share, 3 of 3 needed) is restarted from the console, behind a confirm', async () => {
    const demo = t.demo!;
    const form = page.locator('details.create-vote');
    if ((await form.getAttribute('open')) === null) await form.locator('summary').click();
    await form.getByLabel('Title').fill('Encrypted motion, all three tellers needed');
    await form.getByLabel('Kind of vote').selectOption('secret_e2e');
    for (const x of demo.tellers) await form.getByLabel(`${x.username} (Auditor)`).check();
    await form.getByLabel('Tellers needed to decrypt').fill('3');
    await form.getByRole('button', { name: 'Create the vote' }).click();
    const panel = page.locator('section.vote-detail');
    await expect.poll(() => panel.locator('h2').innerText()).toBe('Encrypted motion, all three tellers needed');
    const voteId = (await panel.getAttribute('data-vote'))!;
    const phase = () => panel.locator('[data-phase]').getAttribute('data-phase');
    await expect.poll(() => phase(), { timeout: 10_000 }).toBe('identities');

    // Teller 3 sends teller 1 a wrong share (encrypted and signed as an honest one would be).
    const wrongShareTo1 = async (d: Dealing, coefficients: bigint[], identities: TellerIdentity[]) => {
      const context = ['vote', voteId];
      const wrong = await encryptShare(context, 3, identities[0]!, randomScalar());
      return signDealing(
        context,
        3,
        coefficients[0]!,
        d.commitments,
        d.shares.map((x) => (x.to === 1 ? wrong : x)),
      );
    };
    const fresh = () => devices.map((x) => new TellerDevice(x.index, x.token));
    const failed = await runCeremony(t, 'vote', voteId, fresh(), { 3: wrongShareTo1 });
    expect(failed.phase).toBe('failed');
    await expect.poll(() => phase(), { timeout: 10_000 }).toBe('failed');
    await expect
      .poll(() =>
        panel.locator('.ceremony').getByText('Failed: fewer than 3 tellers qualified.', { exact: false }).count(),
      )
      .toBe(1);
    expect(await panel.locator('[data-teller="3"] [data-status]').getAttribute('data-status')).toBe('failed');
    expect(await panel.locator('[data-teller="1"]').innerText()).toContain('complaints: 1');
    expect(await panel.getByRole('button', { name: 'Open the vote' }).isDisabled()).toBe(true);
    await expectAccessible(page, 'chair encrypted vote, ceremony failed');

    await panel.getByRole('button', { name: 'Restart the ceremony' }).click();
    await expect.poll(() => page.getByRole('dialog').getByText('Every teller runs their steps again').count()).toBe(1);
    await confirm(page, 'Restart the ceremony');
    await expect.poll(() => phase(), { timeout: 10_000 }).toBe('identities');
    expect((await state(t, 'vote', voteId)).identities).toEqual([]);
    const again = await runCeremony(t, 'vote', voteId, fresh());
    expect(again.phase).toBe('ready');
    await expect.poll(() => phase(), { timeout: 10_000 }).toBe('ready');
    await expect.poll(() => panel.getByRole('button', { name: 'Open the vote' }).isDisabled()).toBe(false);
    expect(problems).toEqual([]);
  });

  it('the console stays within the staff budget (50 KB JS, 30 KB HTML, 16 KB CSS compressed)', async () => {
    const other = await browser.newContext({ viewport: LAPTOP });
    const p = await other.newPage();
    const { weights: w } = await weighPage(other, p, `${base}/chair/${t.demo!.conferenceId}`);
    report.push(`weight /chair/{id}: HTML ${w.Document} B, JS ${w.Script} B, CSS ${w.Stylesheet} B (compressed)`);
    expect(w.Script).toBeLessThanOrEqual(50 * 1024);
    expect(w.Document).toBeLessThanOrEqual(30 * 1024);
    expect(w.Stylesheet).toBeLessThanOrEqual(16 * 1024);
    await other.close();
  });
});
