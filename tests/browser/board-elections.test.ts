/**
 * Elections on the hall board in real Chromium, against the real service on a real port,
 * seen as an observer without an account: a clear yes/no/abstain election whose ballots
 * arrive over the API while the board is up (the count of ballots moves live, without a
 * reload, and never a tally), then its elected with the totals per candidate; and an
 * encrypted (`secret_e2e`) approval election whose three tellers run the key ceremony over
 * the API: participation only while open, "decrypting" while counting (1 of 2, then 2 of 2),
 * then the elected. axe-core in every state; 1280x720 and 1920x1080 without sideways scroll.
 * PLENARY_SCREENSHOTS=1 also writes docs/screenshots/board-election-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { bearer, createStaff } from '../support/auth.js';
import { repoRoot } from '../support/server-process.js';
import { tellersClient, type TellerDevice } from '../elections/e2e-tellers.js';
import { choiceValues, encryptBallot, type BallotShape } from '../../src/domain/e2e/ballot.js';
import { pointFromHex } from '../../src/domain/e2e/group.js';
import {
  axeViolations,
  describeViolations,
  haveChromium,
  launchChromium,
  scrollsSideways,
  watchPage,
  weighPage,
} from './support/browser.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SHOTS = process.env.PLENARY_SCREENSHOTS === '1' ? path.join(repoRoot, 'docs/screenshots') : null;

let t: TestApp;
let fx: ConferenceFixture;
let browser: Browser;
let base = '';
const report: string[] = [];
const VOTERS = ['Ana Alpha', 'Ben Alpha', 'Cleo Beta'];

async function api<T = Json>(method: 'GET' | 'POST', url: string, token?: string, payload?: unknown) {
  const res = await t.app.inject({
    method,
    url,
    headers: {
      ...(token ? bearer(token) : {}),
      ...(method === 'POST' ? { 'idempotency-key': crypto.randomUUID() } : {}),
    },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
  return { status: res.statusCode, body: res.json<T>(), text: res.body };
}

async function createElection(body: Json): Promise<{ id: string; ids: string[] }> {
  const r = await api('POST', `/api/v1/conferences/${fx.conferenceId}/elections`, await fx.chairToken(), body);
  expect(r.status, r.text).toBe(201);
  const candidates = r.body.candidates as { id: string; name: string }[];
  return {
    id: r.body.id as string,
    ids: (body.candidates as { name: string }[]).map((c) => byName(candidates, c.name)),
  };
}
const byName = (cs: { id: string; name: string }[], name: string) => cs.find((c) => c.name === name)!.id;

async function open(electionId: string) {
  const r = await api('POST', `/api/v1/elections/${electionId}/open`, await fx.chairToken(), {});
  expect(r.status, r.text).toBe(200);
}

async function cast(who: string, electionId: string, body: Json) {
  const r = await api('POST', `/api/v1/elections/${electionId}/ballots`, await fx.tokenOf(who), body);
  expect(r.status, r.text).toBe(201);
}

/** The phone's part of an encrypted ballot: read castable, encrypt the seat's weight into the choice, cast. */
async function castEncrypted(who: string, electionId: string, approve: string[]) {
  const token = await fx.tokenOf(who);
  const c = (await api('GET', `/api/v1/elections/${electionId}/castable`, token)).body;
  const seat = c.seats[0] as { seatId: string; weight: number };
  const shape = c.e2e.shape as BallotShape;
  const { ballot } = encryptBallot(
    shape,
    { context: [...(c.e2e.context as string[]), 'seat', seat.seatId], weight: seat.weight, split: false },
    pointFromHex(c.e2e.publicKey),
    choiceValues(shape, seat.weight, approve),
  );
  await cast(who, electionId, { encrypted: ballot });
}

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `board-election-${name}.png`), fullPage: false });
}

async function expectAccessible(page: Page, state: string): Promise<void> {
  const v = await axeViolations(page);
  expect(describeViolations(v), `axe on ${state}`).toEqual([]);
  report.push(`axe ${state}: 0 violations`);
}

/** The hall's two screens, and 1280 px at 200% zoom (640 CSS px): none scrolls sideways. */
async function expectFits(page: Page, state: string): Promise<void> {
  for (const size of [
    { width: 1920, height: 1080 },
    { width: 640, height: 360 },
    { width: 1280, height: 720 },
  ]) {
    await page.setViewportSize(size);
    expect(await scrollsSideways(page), `${state} at ${size.width}x${size.height}`).toBe(false);
  }
}

/** Casts, then waits for the board's count of ballots to show `n` (never reloading): the time it took. */
async function castAndSee(page: Page, electionId: string, n: number, doCast: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await doCast();
  await page.waitForFunction(
    ([id, want]) =>
      document.querySelector(`[data-election="${id}"] [data-ballots]`)?.getAttribute('data-ballots') === want,
    [electionId, String(n)],
    { polling: 'raf', timeout: 10_000 },
  );
  return performance.now() - t0;
}

/** What an open or counting panel must never hold: a total, a count table, a candidate's name. */
async function expectNoTally(page: Page, electionId: string, names: string[]): Promise<void> {
  const panel = page.locator(`[data-election="${electionId}"]`);
  expect(await panel.locator('[data-total], .election-count, .elected').count()).toBe(0);
  const text = await panel.innerText();
  for (const n of names) expect(text).not.toContain(n);
}

const d = haveChromium ? describe : describe.skip;

d('elections on the board in Chromium', () => {
  beforeAll(async () => {
    if (SHOTS) fs.mkdirSync(SHOTS, { recursive: true });
    [t, browser] = await Promise.all([createTestApp(), launchChromium()]);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    fx = await createConferenceFixture(t, {
      name: 'Green Alliance Congress',
      delegations: [
        { name: 'Alpha', delegates: [{ name: 'Ana Alpha', role: 'head' }, { name: 'Ben Alpha' }] },
        { name: 'Beta', delegates: [{ name: 'Cleo Beta', role: 'head' }, { name: 'Dan Beta' }] },
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (report.length) process.stdout.write(`\nboard elections figures:\n  ${report.join('\n  ')}\n`);
  });

  it('a clear election: the ballots counted move live, no tally while open, then the elected with the totals', async () => {
    const names = ['Mara Quinn', 'Theo Laurent', 'Ines Duarte'];
    const { id, ids } = await createElection({
      title: 'Presidium of the congress',
      seats: 2,
      method: 'yes_no_abstain',
      mode: 'secret',
      candidates: names.map((name) => ({ name })),
    });
    const [a, b, c] = ids as [string, string, string];
    await open(id);

    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-GB' });
    const page = await ctx.newPage();
    const { problems } = watchPage(page);
    await page.goto(`${base}/board/${fx.conferenceId}?lang=en,fr`);
    const panel = page.locator(`[data-election="${id}"]`);
    // Rendered by the server, in both languages, before the socket is up.
    expect(await panel.getAttribute('data-state')).toBe('open');
    const text = (await panel.textContent())!;
    for (const words of [
      'Election · Seats to fill: 2',
      'Élection · Sièges à pourvoir : 2',
      'Presidium of the congress',
      'Yes, no or abstain for each candidate',
      'Secret ballot: no ballot is linked to a voter',
      'Ballots cast: 0',
      'Bulletins déposés : 0',
      'No running count: the result is shown when the election closes.',
    ])
      expect(text).toContain(words);
    await expect.poll(() => page.locator('.live').textContent()).toContain('Live');
    await expectNoTally(page, id, names);
    await expectAccessible(page, 'board, clear election open (en+fr)');
    await expectFits(page, 'clear election open');
    // A marker the page would lose on a reload: every update below comes live.
    await page.evaluate(() => ((globalThis as { notReloaded?: boolean }).notReloaded = true));

    const ballots: [string, Json][] = [
      [VOTERS[0]!, { marks: { [a]: 'yes', [b]: 'yes', [c]: 'no' } }],
      [VOTERS[1]!, { marks: { [a]: 'yes', [b]: 'no', [c]: 'yes' } }],
      [VOTERS[2]!, { marks: { [a]: 'yes', [b]: 'yes', [c]: 'abstain' } }],
    ];
    const latencies: number[] = [];
    for (const [i, [who, body]] of ballots.entries()) {
      latencies.push(await castAndSee(page, id, i + 1, () => cast(who, id, body)));
      await expectNoTally(page, id, names);
    }
    report.push(
      `board: clear election ballot answered to its count on screen ${latencies.map((l) => `${Math.round(l)} ms`).join(', ')}`,
    );
    expect(await panel.innerText()).toContain('Ballots cast: 3');
    await expectAccessible(page, 'board, clear election with ballots');
    await shot(page, 'open-1280');

    const closed = await api('POST', `/api/v1/elections/${id}/close`, await fx.chairToken(), {});
    expect(closed.status, closed.text).toBe(200);
    const result = (await api('GET', `/api/v1/elections/${id}/result`)).body;
    expect(result.elected).toEqual([a, b]);
    await expect.poll(() => panel.getAttribute('data-state'), { timeout: 10_000 }).toBe('closed');
    expect(await panel.locator('.elected li').allInnerTexts()).toEqual(['Mara Quinn', 'Theo Laurent']);
    const row = (cid: string) =>
      panel
        .locator(`tr[data-candidate="${cid}"] td`)
        .evaluateAll((tds) => tds.map((td) => [td.getAttribute('data-total'), td.textContent]));
    const totals = result.rounds.at(-1).totals as Record<string, { yes: number; no: number; abstain: number }>;
    for (const cid of [a, b, c])
      expect(await row(cid)).toEqual([
        ['yes', String(totals[cid]!.yes)],
        ['no', String(totals[cid]!.no)],
        ['abstain', String(totals[cid]!.abstain)],
      ]);
    expect(await row(a)).toEqual([
      ['yes', '3'],
      ['no', '0'],
      ['abstain', '0'],
    ]);
    expect(await panel.locator('tr.is-elected').count()).toBe(2);
    expect(await panel.locator(`tr[data-candidate="${c}"]`).innerText()).not.toContain('elected');
    expect(await panel.innerText()).toContain('Élus');
    await expectAccessible(page, 'board, clear election closed');
    await shot(page, 'closed-1280');
    await expectFits(page, 'clear election closed');
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(problems).toEqual([]);
    await ctx.close();

    // The board's weight with an election's result on it (the budget test weighs it bare).
    const weighCtx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const { weights } = await weighPage(weighCtx, await weighCtx.newPage(), `${base}/board/${fx.conferenceId}`);
    report.push(
      `weight /board/{id} with a closed election: HTML ${weights.Document} B, JS ${weights.Script} B, CSS ${weights.Stylesheet} B`,
    );
    expect(weights.Document).toBeLessThanOrEqual(15 * 1024);
    expect(weights.Script).toBeLessThanOrEqual(25 * 1024);
    expect(weights.Stylesheet).toBeLessThanOrEqual(8 * 1024);
    await weighCtx.close();
  });

  it('an STV election: the ballots counted while open, then the elected in order and the number of stages', async () => {
    const names = ['Aiko Tan', 'Bruno Costa', 'Chloé Martin'];
    const { id, ids } = await createElection({
      title: 'Standing orders committee',
      seats: 2,
      method: 'stv_scottish',
      candidates: names.map((name) => ({ name })),
    });
    const [a, b, c] = ids as [string, string, string];
    await open(id);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-GB' });
    const page = await ctx.newPage();
    const { problems } = watchPage(page);
    await page.goto(`${base}/board/${fx.conferenceId}`);
    const panel = page.locator(`[data-election="${id}"]`);
    expect(await panel.textContent()).toContain('Ranked ballot: single transferable vote (Scottish rules)');
    await expect.poll(() => page.locator('.live').textContent()).toContain('Live');
    const rankings = [
      [a, b],
      [a, c],
      [b, a],
    ];
    for (const [i, ranking] of rankings.entries()) {
      await castAndSee(page, id, i + 1, () => cast(VOTERS[i]!, id, { ranking }));
      await expectNoTally(page, id, names);
    }
    expect((await api('POST', `/api/v1/elections/${id}/close`, await fx.chairToken(), {})).status).toBe(200);
    const result = (await api('GET', `/api/v1/elections/${id}/result`)).body;
    const stages = (result.stages ?? result.rounds.flatMap((r: Json) => r.stages ?? [])) as unknown[];
    expect(stages.length).toBeGreaterThan(0);
    await expect.poll(() => panel.getAttribute('data-state'), { timeout: 10_000 }).toBe('closed');
    expect(await panel.locator('.elected li').allInnerTexts()).toEqual(
      (result.elected as string[]).map((e) => names[ids.indexOf(e)]),
    );
    expect(result.elected).toEqual([a, b]);
    expect(await panel.locator('.stages').getAttribute('data-stages')).toBe(String(stages.length));
    expect(await panel.locator('.stages').textContent()).toContain(`Counted in ${stages.length} stages · quota 2`);
    // A hall screen shows no stage table.
    expect(await panel.locator('.election-count').count()).toBe(0);
    await expectAccessible(page, 'board, STV election closed');
    await expectFits(page, 'STV election closed');
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('an encrypted election: participation only while open, the tellers decrypting once closed, then the elected', async () => {
    const admin = await fx.adminToken();
    const tellers = [];
    for (const n of [1, 2, 3])
      tellers.push(
        await createStaff(t, admin, {
          username: `board-teller-${n}-${crypto.randomUUID().slice(0, 6)}`,
          role: 'auditor',
          conferenceId: fx.conferenceId,
        }),
      );
    const names = ['Lena Sørensen', 'Omar Haddad', 'Priya Nair'];
    const { id, ids } = await createElection({
      title: 'Delegates to the alliance council',
      seats: 2,
      method: 'approval',
      maxApprovals: 2,
      mode: 'secret_e2e',
      tellers: { accountIds: tellers.map((x) => x.id), threshold: 2 },
      candidates: names.map((name) => ({ name })),
    });
    const [p, q, r] = ids as [string, string, string];
    expect((await api('POST', `/api/v1/elections/${id}/tellers/prepare`, await fx.chairToken(), {})).status).toBe(200);
    const client = tellersClient(t, id);
    const devices: TellerDevice[] = tellers.map((x, i) => ({ index: i + 1, token: x.token, received: new Map() }));
    const t0 = performance.now();
    await client.ceremony(devices);
    report.push(`key ceremony of 3 tellers over the API: ${Math.round(performance.now() - t0)} ms`);
    await open(id);

    const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-GB' });
    const page = await ctx.newPage();
    const { problems } = watchPage(page);
    await page.goto(`${base}/board/${fx.conferenceId}?lang=en,es`);
    const panel = page.locator(`[data-election="${id}"]`);
    expect(await panel.getAttribute('data-state')).toBe('open');
    const text = (await panel.textContent())!;
    for (const words of [
      'Approval: mark up to 2 candidates',
      'Encrypted: nobody can see a choice; the tellers decrypt the totals',
      'Cifrado: nadie puede ver ningún voto; los escrutadores descifran los totales',
      'Ballots cast: 0',
    ])
      expect(text).toContain(words);
    await expect.poll(() => page.locator('.live').textContent()).toContain('Live');
    await expectNoTally(page, id, names);
    await expectAccessible(page, 'board, encrypted election open (en+es)');
    await page.evaluate(() => ((globalThis as { notReloaded?: boolean }).notReloaded = true));

    const approvals: [string, string[]][] = [
      [VOTERS[0]!, [p, q]],
      [VOTERS[1]!, [p, q]],
      [VOTERS[2]!, [p]],
    ];
    const latencies: number[] = [];
    for (const [i, [who, approve]] of approvals.entries()) {
      latencies.push(await castAndSee(page, id, i + 1, () => castEncrypted(who, id, approve)));
      await expectNoTally(page, id, names);
    }
    report.push(
      `board: encrypted ballot (encrypted in the test, cast) to its count on screen ${latencies.map((l) => `${Math.round(l)} ms`).join(', ')}`,
    );
    await expectAccessible(page, 'board, encrypted election with ballots');
    await expectFits(page, 'encrypted election open');

    const closed = await api('POST', `/api/v1/elections/${id}/close`, await fx.chairToken(), {});
    expect(closed.status, closed.text).toBe(200);
    expect(closed.body.state).toBe('counting');
    const status = panel.locator('.counting');
    await expect
      .poll(() => status.textContent(), { timeout: 10_000 })
      .toContain('Counting: the tellers are decrypting the totals (0 of 2)');
    expect(await panel.getAttribute('data-state')).toBe('counting');
    expect(await panel.locator('[data-ballots]').getAttribute('data-ballots')).toBe('3');
    await expectNoTally(page, id, names);
    // A board opened while the tellers decrypt (the livestream joining late) reads the count over HTTP.
    const late = await ctx.newPage();
    await late.goto(`${base}/board/${fx.conferenceId}`);
    await expect
      .poll(() => late.locator(`[data-election="${id}"] [data-ballots]`).getAttribute('data-ballots'), {
        timeout: 10_000,
      })
      .toBe('3');
    await expectNoTally(late, id, names);
    await late.close();
    await expectAccessible(page, 'board, encrypted election counting');
    await shot(page, 'e2e-counting-1280');
    await expectFits(page, 'encrypted election counting');

    // Teller 2 stays away: 1, then 3, decrypt.
    await client.decrypt(devices[0]!);
    await expect
      .poll(() => status.textContent(), { timeout: 10_000 })
      .toContain('Counting: the tellers are decrypting the totals (1 of 2)');
    await expectNoTally(page, id, names);
    await client.decrypt(devices[2]!);
    await expect.poll(() => panel.getAttribute('data-state'), { timeout: 10_000 }).toBe('closed');
    const result = (await api('GET', `/api/v1/elections/${id}/result`)).body;
    expect(result.elected).toEqual([p, q]);
    expect(await panel.locator('.elected li').allInnerTexts()).toEqual(['Lena Sørensen', 'Omar Haddad']);
    const shown = await panel
      .locator('tr[data-candidate] td[data-total="votes"]')
      .evaluateAll((tds) => tds.map((td) => [td.closest('tr')!.getAttribute('data-candidate'), td.textContent]));
    expect(Object.fromEntries(shown)).toEqual({ [p]: '3', [q]: '2', [r]: '0' });
    expect(await panel.locator('.counting').count()).toBe(0);
    await expectAccessible(page, 'board, encrypted election closed');
    await shot(page, 'e2e-closed-1280');
    await expectFits(page, 'encrypted election closed');
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(problems).toEqual([]);
    await ctx.close();
  });
});
