/**
 * Elections on the delegate's phone (`/vote`) in real Chromium, against the real service on
 * a real port, with the demo conference:
 * (a) the demo presidium switched to encrypted ballots (secret_e2e, issue 21): three tellers
 *     on /trustee, each in its own browser, run the key ceremony; delegates' phones, at 4x
 *     CPU throttling, encrypt yes/no/abstain ballots (one checks a ballot first and the page
 *     says what it held); the chair closes through the API; two of the three tellers
 *     decrypt on /trustee; the phone and the hall's board (participation only until then) show
 *     who is elected; the record passes `npm run verify`;
 * (b) a clear approval election cast from a phone, the ballot sent while the phone went
 *     offline going out on reconnect exactly once (same Idempotency-Key, one ballot counted);
 * (c) a delegation's head casts the bloc in one yes/no/abstain ballot, and a ballot over the
 *     limits (too many approvals, too many yes) cannot be cast and says why;
 * (d) the demo committee (Scottish STV): a ranking made with the keyboard alone, announced.
 * axe-core on the phone page in each state, at 360x740.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { runVerify } from '../../scripts/verify.js';
import { ADMIN_PASSWORD, createTestApp, type TestApp } from '../support/test-app.js';
import { signIn } from '../support/fixtures.js';
import { bearer, createStaff } from '../support/auth.js';
import {
  axeViolations,
  describeViolations,
  haveChromium,
  launchChromium,
  scrollsSideways,
  watchPage,
} from './support/browser.js';

const PHONE = { width: 360, height: 740 };
const TELLER_PASSWORD = 'correct horse battery staple';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: TestApp;
let browser: Browser;
let base = '';
let chair = '';
let admin = '';
let conferenceId = '';
const report: string[] = [];
const contexts: BrowserContext[] = [];

async function api<T = Json>(method: 'GET' | 'POST' | 'PATCH', url: string, token?: string, payload?: unknown) {
  const res = await t.app.inject({
    method,
    url,
    headers: {
      ...(token ? bearer(token) : {}),
      ...(method === 'POST' ? { 'idempotency-key': crypto.randomUUID() } : {}),
    },
    ...(payload !== undefined ? { payload: payload as Json } : {}),
  });
  return { status: res.statusCode, body: res.json<T>() };
}

async function expectAccessible(page: Page, state: string): Promise<void> {
  const v = await axeViolations(page);
  expect(describeViolations(v), `axe on ${state}`).toEqual([]);
  report.push(`axe ${state}: 0 violations`);
}

/**
 * Demo delegates who cast for their own seat only in a per-delegate election (no proxy
 * held), with their badge codes, found through the API as the phone will read it.
 */
async function singleSeatVoters(
  electionId: string,
  n: number,
): Promise<{ name: string; code: string; weight: number }[]> {
  const out: { name: string; code: string; weight: number }[] = [];
  for (const d of t.demo!.delegates.filter((x) => x.role !== 'alternate')) {
    const token = await signIn(t, { accessCode: d.accessCode });
    const c = await api<{ seats: { kind: string; weight: number }[] }>(
      'GET',
      `/api/v1/elections/${electionId}/castable`,
      token,
    );
    const [seat] = c.body.seats;
    if (c.body.seats.length === 1 && seat!.kind === 'own')
      out.push({ name: d.name, code: d.accessCode, weight: seat!.weight });
    if (out.length === n) break;
  }
  expect(out).toHaveLength(n);
  return out;
}

async function phone(code: string): Promise<{ ctx: BrowserContext; page: Page; problems: string[] }> {
  const ctx = await browser.newContext({ viewport: PHONE, hasTouch: true, locale: 'en-GB' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  const { problems } = watchPage(page);
  await page.goto(`${base}/vote`);
  await page.getByLabel('Badge code').fill(code);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.getByText(/^Signed in for/).count()).toBe(1);
  return { ctx, page, problems };
}

const electionCard = (page: Page, title: string): Locator => page.getByRole('region', { name: title });

/** One candidate's mark on a yes/no/abstain ballot: the radio inside the candidate's own group. */
const mark = (card: Locator, candidate: string, m: 'Yes' | 'No' | 'Abstain') =>
  card.getByRole('group', { name: new RegExp(`^${candidate}( ·|$)`) }).getByRole('radio', { name: m });

interface Teller {
  ctx: BrowserContext;
  page: Page;
  problems: string[];
  name: string;
}

async function tellerBrowser(username: string, electionId: string): Promise<Teller> {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  const { problems } = watchPage(page);
  const next = `/trustee?election=${electionId}`;
  await page.goto(`${base}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(TELLER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}${next}`);
  return { ctx, page, problems, name: username };
}

async function step(tl: Teller, label: string): Promise<void> {
  const button = tl.page.getByRole('button', { name: label });
  await expect.poll(() => button.count(), { timeout: 30_000, message: `${tl.name}: ${label}` }).toBe(1);
  await button.click();
  const done = tl.page.getByText(`Done: ${label}.`);
  await expect
    .poll(async () => ((await done.count()) === 1 ? 'done' : await tl.page.locator('.action-status').innerText()), {
      timeout: 60_000,
      message: `${tl.name}: ${label}`,
    })
    .toBe('done');
}

const phaseOf = (tl: Teller) => tl.page.locator('[data-phase]').getAttribute('data-phase');

async function verifies(electionId: string): Promise<void> {
  const record = await api('GET', `/api/v1/elections/${electionId}/record`, admin);
  expect(record.status).toBe(200);
  const jwks = await api('GET', '/.well-known/jwks.json');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plenary-election-'));
  fs.writeFileSync(path.join(dir, 'record.json'), JSON.stringify(record.body));
  fs.writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify(jwks.body));
  const lines: string[] = [];
  const code = await runVerify([path.join(dir, 'record.json'), '--jwks', path.join(dir, 'jwks.json')], (l) =>
    lines.push(l),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  expect(
    lines.filter((l) => l.startsWith('FAIL')),
    lines.join('\n'),
  ).toEqual([]);
  expect(code).toBe(0);
  report.push(`verify ${electionId.slice(0, 8)}: ${lines.at(-1)}`);
}

const d = haveChromium ? describe : describe.skip;

d('elections on the phone in Chromium', () => {
  beforeAll(async () => {
    [t, browser] = await Promise.all([createTestApp({ seed: 'demo' }), launchChromium()]);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    conferenceId = t.demo!.conferenceId;
    chair = await signIn(t, { username: t.demo!.chair.username, password: t.demo!.chair.password });
    admin = await signIn(t, { username: 'admin', password: ADMIN_PASSWORD });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
    if (report.length) process.stdout.write(`\nelection browser figures:\n  ${report.join('\n  ')}\n`);
  });

  it('(a) the demo presidium, encrypted: tellers on /trustee, phones encrypt and check, two tellers decrypt, the phone shows who is elected, the record verifies', async () => {
    const id = t.demo!.elections.presidiumId;
    const tellerAccounts = [];
    for (const n of [1, 2, 3])
      tellerAccounts.push(
        await createStaff(t, admin, { username: `teller-${n}`, role: 'auditor', conferenceId }, TELLER_PASSWORD),
      );
    const patched = await api('PATCH', `/api/v1/elections/${id}`, chair, {
      mode: 'secret_e2e',
      tellers: { accountIds: tellerAccounts.map((a) => a.id), threshold: 2 },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect((await api('POST', `/api/v1/elections/${id}/tellers/prepare`, chair, {})).status).toBe(200);

    const tellers = await Promise.all([1, 2, 3].map((n) => tellerBrowser(`teller-${n}`, id)));
    for (const label of ['Publish my key', 'Deal shares', 'Check my shares'])
      for (const tl of tellers) await step(tl, label);
    for (const tl of tellers) await expect.poll(() => phaseOf(tl), { timeout: 10_000 }).toBe('ready');

    const opened = await api('POST', `/api/v1/elections/${id}/open`, chair, {});
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    const [ana, ben] = await singleSeatVoters(id, 2);

    // The hall's board: participation only, while open and while the tellers decrypt.
    const hall = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-GB' });
    contexts.push(hall);
    const board = await hall.newPage();
    const boardProblems = watchPage(board).problems;
    await board.goto(`${base}/board/${conferenceId}`);
    const panel = board.locator(`[data-election="${id}"]`);
    const names = ['Arjun Selvaraj', 'Erik Sandelin', 'Helen Marchbank', 'Katrin Albrecht', 'Marco Bellavista'];
    const participationOnly = async (ballots: number) => {
      await expect
        .poll(() => panel.locator('[data-ballots]').getAttribute('data-ballots'), { timeout: 15_000 })
        .toBe(String(ballots));
      expect(await panel.locator('[data-total], .election-count, .elected').count()).toBe(0);
      const text = await panel.innerText();
      for (const n of names) expect(text).not.toContain(n);
    };
    await participationOnly(0);
    expect(await panel.innerText()).toContain('Encrypted: nobody can see a choice');

    // Phone 1 at the phone profile: 4x CPU throttling while it encrypts.
    const p1 = await phone(ana!.code);
    const card = electionCard(p1.page, 'Presidium of the conference');
    await expect.poll(() => card.getByText(/not even the service/).count()).toBe(1);
    // Candidates in ballot order (by name), with their group.
    const legends = await card.locator('.mark-row > legend').allInnerTexts();
    expect(legends.map((l) => l.split(' · ')[0])).toEqual([
      'Arjun Selvaraj',
      'Erik Sandelin',
      'Helen Marchbank',
      'Katrin Albrecht',
      'Marco Bellavista',
    ]);
    expect(legends[2]).toContain('woman');
    await expectAccessible(p1.page, 'encrypted election, before marking');
    const cdp = await p1.ctx.newCDPSession(p1.page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await p1.page.waitForTimeout(1500);

    // The first mark marks every other candidate "abstain": an encrypted ballot marks each one.
    await mark(card, 'Erik Sandelin', 'Yes').check();
    expect(await mark(card, 'Arjun Selvaraj', 'Abstain').isChecked()).toBe(true);
    await mark(card, 'Helen Marchbank', 'Yes').check();
    await mark(card, 'Katrin Albrecht', 'Yes').check();
    await mark(card, 'Marco Bellavista', 'No').check();
    await expect.poll(() => card.getByText('3 of 3 Yes given, 0 left').count()).toBe(1);
    // A fourth yes is over the limit: said, and Cast is off.
    await mark(card, 'Arjun Selvaraj', 'Yes').check();
    await expect.poll(() => card.getByText('4 Yes given: at most 3 (one per seat).', { exact: false }).count()).toBe(1);
    expect(await card.getByRole('button', { name: 'Cast' }).isDisabled()).toBe(true);
    expect(await card.getByRole('button', { name: 'Check this ballot' }).isDisabled()).toBe(true);
    await expectAccessible(p1.page, 'encrypted election, too many yes');
    await mark(card, 'Arjun Selvaraj', 'Abstain').check();

    // Benaloh: the spoilt ballot is read back in words; nothing is cast.
    await card.getByRole('button', { name: 'Check this ballot' }).click();
    const holds =
      'This ballot holds: Arjun Selvaraj: Abstain; Erik Sandelin: Yes; Helen Marchbank: Yes; ' +
      `Katrin Albrecht: Yes; Marco Bellavista: No (weight ${ana!.weight})`;
    await expect
      .poll(() => card.locator('.check-result p').first().innerText(), { timeout: 30_000 })
      .toBe(`My vote: ${holds}`);
    await expectAccessible(p1.page, 'encrypted election, after a check');
    expect((await api<{ ballotsCounted: number }>('GET', `/api/v1/elections/${id}`)).body.ballotsCounted).toBe(0);

    const sent = p1.page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/elections/${id}/ballots`));
    const t0 = Date.now();
    await card.getByRole('button', { name: 'Cast' }).click();
    const request = await sent;
    report.push(
      `phone, 4x CPU throttling: Cast click to the encrypted election ballot's request ${Date.now() - t0} ms`,
    );
    const answered = await request.response();
    expect(answered?.status(), await answered?.text()).toBe(201);
    const body = request.postDataJSON() as {
      encrypted: { options: { id: string }[] };
      split: boolean;
      marks?: unknown;
    };
    expect(body.split).toBe(false);
    expect(body.marks).toBeUndefined();
    expect(body.encrypted.options).toHaveLength(15);
    await expect
      .poll(() => card.locator('.seat-status').first().innerText(), { timeout: 20_000 })
      .toMatch(/^✓ Received/);
    const tracker = await card.locator('[data-receipt]').first().getAttribute('data-receipt');
    expect(tracker).toMatch(/^[0-9a-f]{64}$/);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    await expectAccessible(p1.page, 'encrypted election, received');
    expect(await scrollsSideways(p1.page)).toBe(false);
    // The phone keeps the tracker, never the choice or the randomness; the outbox is empty.
    const storage = await p1.page.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(storage).not.toMatch(/randomness|"r":/);
    const receipts = JSON.parse(
      (await p1.page.evaluate(() => localStorage.getItem('plenary.receipts'))) ?? '[]',
    ) as Json[];
    expect(receipts.map((r) => [r.target, r.receipt, r.choice])).toEqual([['election', tracker, null]]);
    // No /receipt link for an election: that page checks a vote's record.
    expect(await p1.page.getByRole('link', { name: 'Check this receipt' }).count()).toBe(0);

    // Phone 2 casts too.
    const p2 = await phone(ben!.code);
    const card2 = electionCard(p2.page, 'Presidium of the conference');
    await mark(card2, 'Helen Marchbank', 'Yes').check();
    await mark(card2, 'Katrin Albrecht', 'Yes').check();
    await mark(card2, 'Erik Sandelin', 'Yes').check();
    await card2.getByRole('button', { name: 'Cast' }).click();
    await expect.poll(() => card2.getByText('Received', { exact: true }).count(), { timeout: 30_000 }).toBe(1);
    // Participation only while open.
    expect((await api<{ ballotsCounted: number }>('GET', `/api/v1/elections/${id}`)).body.ballotsCounted).toBe(2);
    await participationOnly(2);
    await expectAccessible(board, 'board, encrypted election open');

    // The chair closes: the tellers count.
    const closed = await api('POST', `/api/v1/elections/${id}/close`, chair, {});
    expect(closed.body).toMatchObject({ state: 'counting' });
    await expect
      .poll(() => card.getByText('Counting: the tellers are decrypting the totals.').count(), { timeout: 15_000 })
      .toBe(1);
    await expectAccessible(p1.page, 'encrypted election, counting');
    await expect
      .poll(() => panel.locator('.counting').textContent(), { timeout: 15_000 })
      .toContain('Counting: the tellers are decrypting the totals (0 of 2)');
    await participationOnly(2);
    for (const tl of tellers) await expect.poll(() => phaseOf(tl), { timeout: 15_000 }).toBe('decrypting');
    await step(tellers[0]!, 'Decrypt the totals');
    await step(tellers[2]!, 'Decrypt the totals');
    await expect.poll(() => phaseOf(tellers[0]!), { timeout: 15_000 }).toBe('decrypted');

    // The phone shows who is elected, from the tellers' decryption.
    await expect
      .poll(
        () =>
          card
            .locator('[data-elected]')
            .innerText()
            .catch(() => ''),
        { timeout: 15_000 },
      )
      .toMatch(/^Elected: /);
    const elected = (await card.locator('[data-elected]').innerText()).replace('Elected: ', '').split(', ');
    expect(elected.sort()).toEqual(['Erik Sandelin', 'Helen Marchbank', 'Katrin Albrecht']);
    await expectAccessible(p1.page, 'encrypted election, closed');
    // The board declares the same, in the order of election, from the tellers' decryption.
    await expect.poll(() => panel.getAttribute('data-state'), { timeout: 15_000 }).toBe('closed');
    const declared = (await api<{ elected: string[] }>('GET', `/api/v1/elections/${id}/result`)).body.elected;
    const nameOf = new Map(
      (await api<{ candidates: { id: string; name: string }[] }>('GET', `/api/v1/elections/${id}`)).body.candidates.map(
        (c) => [c.id, c.name],
      ),
    );
    expect(await panel.locator('.elected li').allInnerTexts()).toEqual(declared.map((c) => nameOf.get(c)));
    await expectAccessible(board, 'board, encrypted election closed');

    await verifies(id);
    for (const w of [p1, p2, ...tellers]) expect(w.problems).toEqual([]);
    expect(boardProblems).toEqual([]);
  });

  it('(b) a clear approval election: the ballot sent while offline goes out on reconnect exactly once', async () => {
    const created = await api<{ id: string }>('POST', `/api/v1/conferences/${conferenceId}/elections`, chair, {
      title: 'Delegates to the alliance council',
      seats: 2,
      method: 'approval',
      mode: 'secret',
      maxApprovals: 2,
      candidates: [{ name: 'Jonas Weidemann' }, { name: 'Rhiannon Pryce', group: 'woman' }, { name: 'Élodie Rambert' }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    expect((await api('POST', `/api/v1/elections/${id}/open`, chair, {})).status).toBe(200);
    const [cleo] = await singleSeatVoters(id, 1);
    const p = await phone(cleo!.code);
    const card = electionCard(p.page, 'Delegates to the alliance council');
    await expect.poll(() => card.getByText('0 of 2 chosen, 2 left').count()).toBe(1);
    await expectAccessible(p.page, 'approval election, open');

    // Three approvals for at most two: said, and it cannot be cast.
    for (const n of ['Jonas Weidemann', 'Rhiannon Pryce', 'Élodie Rambert'])
      await card.getByRole('checkbox', { name: new RegExp(`^${n}`) }).check();
    await expect
      .poll(() => card.getByText('3 candidates ticked: at most 2 may be approved.', { exact: false }).count())
      .toBe(1);
    expect(await card.getByRole('button', { name: 'Cast' }).isDisabled()).toBe(true);
    await expectAccessible(p.page, 'approval election, too many approvals');
    await card.getByRole('checkbox', { name: /^Jonas Weidemann/ }).uncheck();
    await expect.poll(() => card.getByText('2 of 2 chosen, 0 left').count()).toBe(1);
    await expect.poll(() => card.getByText('My vote: approves Rhiannon Pryce, Élodie Rambert').count()).toBe(1);

    // The first request reaches the service, then the network goes: its answer is lost.
    const keys: string[] = [];
    await p.page.route('**/api/v1/elections/*/ballots', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length === 1) {
        await route.fetch();
        await p.ctx.setOffline(true);
        await route.abort('internetdisconnected');
      } else await route.continue();
    });
    await card.getByRole('button', { name: 'Cast' }).click();
    await expect.poll(() => card.getByText(/Sending/).count()).toBe(1);
    const stored = JSON.parse((await p.page.evaluate(() => localStorage.getItem('plenary.outbox'))) ?? '[]') as Json[];
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ target: 'election', voteId: id, body: { approve: expect.any(Array) } });
    await expectAccessible(p.page, 'approval election, sending offline');
    await p.ctx.setOffline(false);
    await expect.poll(() => card.getByText('Received', { exact: true }).count(), { timeout: 30_000 }).toBe(1);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(stored[0]!.key);
    expect(await p.page.evaluate(() => localStorage.getItem('plenary.outbox'))).toBe('[]');
    expect((await api<{ ballotsCounted: number }>('GET', `/api/v1/elections/${id}`)).body.ballotsCounted).toBe(1);
    await expectAccessible(p.page, 'approval election, received');

    const closed = await api('POST', `/api/v1/elections/${id}/close`, chair, {});
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    await expect
      .poll(
        () =>
          card
            .locator('[data-elected]')
            .innerText()
            .catch(() => ''),
        { timeout: 15_000 },
      )
      .toBe('Elected: Rhiannon Pryce, Élodie Rambert');
    await expect.poll(() => p.page.locator('.receipts li').count()).toBe(1);
    expect(await p.page.locator('.receipts li').innerText()).toContain('secret ballot: the choice is not kept');
    await verifies(id);
    expect(p.problems).toEqual([]);
  });

  it("(c) a delegation's head casts the bloc's allocation in one yes/no/abstain ballot; too many yes cannot be cast", async () => {
    const created = await api<{ id: string }>('POST', `/api/v1/conferences/${conferenceId}/elections`, chair, {
      title: 'Auditors of the accounts',
      seats: 1,
      method: 'yes_no_abstain',
      mode: 'roll_call',
      weighting: 'delegation',
      candidates: [{ name: 'Mira Holt' }, { name: 'Tomás Rey' }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    expect((await api('POST', `/api/v1/elections/${id}/open`, chair, {})).status).toBe(200);
    let head: { code: string; weight: number } | null = null;
    for (const dl of t.demo!.delegates.filter((x) => x.role === 'head')) {
      const c = await api<{ seats: { kind: string; weight: number }[] }>(
        'GET',
        `/api/v1/elections/${id}/castable`,
        await signIn(t, { accessCode: dl.accessCode }),
      );
      if (c.body.seats.length === 1 && c.body.seats[0]!.weight > 1) {
        head = { code: dl.accessCode, weight: c.body.seats[0]!.weight };
        break;
      }
    }
    expect(head).not.toBeNull();
    const p = await phone(head!.code);
    const card = electionCard(p.page, 'Auditors of the accounts');
    await expect.poll(() => card.getByText(`Weight ${head!.weight}`).count()).toBe(1);
    await mark(card, 'Mira Holt', 'Yes').check();
    await mark(card, 'Tomás Rey', 'Yes').check();
    await expect.poll(() => card.getByText('2 Yes given: at most 1 (one per seat).', { exact: false }).count()).toBe(1);
    expect(await card.getByRole('button', { name: 'Cast' }).isDisabled()).toBe(true);
    await expectAccessible(p.page, 'bloc election, too many yes');
    await mark(card, 'Tomás Rey', 'No').check();
    const sent = p.page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/elections/${id}/ballots`));
    await card.getByRole('button', { name: 'Cast' }).click();
    const body = (await sent).postDataJSON() as Json;
    expect(Object.values(body.marks as Record<string, string>).sort()).toEqual(['no', 'yes']);
    expect(body.weight).toBeUndefined();
    await expect.poll(() => card.getByText('Received', { exact: true }).count(), { timeout: 20_000 }).toBe(1);
    // One ballot, the whole allocation.
    const castable = await api<{ seats: { cast: number; weight: number }[] }>(
      'GET',
      `/api/v1/elections/${id}/castable`,
      await signIn(t, { accessCode: head!.code }),
    );
    expect(castable.body.seats[0]).toMatchObject({ cast: head!.weight, weight: head!.weight });
    // A roll call's receipt keeps the ballot in words (it is public anyway).
    expect(await p.page.locator('.receipts li').innerText()).toContain('Mira Holt: yes; Tomás Rey: no');
    await expectAccessible(p.page, 'bloc election, received');
    expect(p.problems).toEqual([]);
  });

  it('(d) the demo committee (Scottish STV): a ranking built with the keyboard alone, announced, cast in order', async () => {
    const id = t.demo!.elections.committeeId;
    expect((await api('POST', `/api/v1/elections/${id}/open`, chair, {})).status).toBe(200);
    const [voter] = await singleSeatVoters(id, 1);
    const p = await phone(voter!.code);
    const card = electionCard(p.page, 'Coordinating committee');
    await expect.poll(() => card.getByText('Nobody ranked yet', { exact: false }).count()).toBe(1);
    await expectAccessible(p.page, 'ranked election, nothing ranked');
    // Keyboard only: focus the "Add" button, Enter; focus follows the candidate.
    const add = (name: string) => card.getByRole('button', { name: `Add ${name}` });
    const said = (text: string) => expect.poll(() => card.getByText(text).count()).toBe(1);
    // Each step waits for its announcement: focus moves to the moved candidate after the render.
    for (const [i, name] of ['Tan Mei Ling', 'Mehdi Lacombe', 'Claire Vautrin'].entries()) {
      await add(name).focus();
      await p.page.keyboard.press('Enter');
      await said(`${name} is now number ${i + 1}.`);
    }
    // Claire up one place: the focus stays on her "Move up" button, so a second Enter moves her again.
    await card.getByRole('button', { name: 'Move Claire Vautrin up' }).focus();
    await p.page.keyboard.press('Enter');
    await said('Claire Vautrin is now number 2.');
    await expect
      .poll(() => p.page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Move Claire Vautrin up');
    await p.page.keyboard.press('Enter');
    await said('Claire Vautrin is now number 1.');
    await card.getByRole('button', { name: 'Remove Mehdi Lacombe from the ranking' }).focus();
    await p.page.keyboard.press('Enter');
    await said('Mehdi Lacombe is no longer ranked.');
    expect(await card.locator('[data-ranked]').allInnerTexts()).toEqual([
      expect.stringContaining('Claire Vautrin'),
      expect.stringContaining('Tan Mei Ling'),
    ]);
    await expect.poll(() => card.getByText('My vote: 1. Claire Vautrin, 2. Tan Mei Ling').count()).toBe(1);
    await expectAccessible(p.page, 'ranked election, two ranked');
    expect(await scrollsSideways(p.page)).toBe(false);

    const sent = p.page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/elections/${id}/ballots`));
    await card.getByRole('button', { name: 'Cast' }).click();
    const names = new Map(
      (await api<{ candidates: { id: string; name: string }[] }>('GET', `/api/v1/elections/${id}`)).body.candidates.map(
        (c) => [c.id, c.name],
      ),
    );
    expect(((await sent).postDataJSON() as { ranking: string[] }).ranking.map((c) => names.get(c))).toEqual([
      'Claire Vautrin',
      'Tan Mei Ling',
    ]);
    await expect.poll(() => card.getByText('Received', { exact: true }).count(), { timeout: 20_000 }).toBe(1);
    await expectAccessible(p.page, 'ranked election, received');
    expect(p.problems).toEqual([]);
  });
});
