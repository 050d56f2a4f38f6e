/**
 * The staff pages in real Chromium against the real service on a real port, on the demo
 * conference: the sign-in and what a page says to the wrong account; the chair runs the
 * first three votes of the demo resolution's voting list through the console (keyboard
 * shortcuts and confirm steps) while delegates cast through the API and one through the
 * phone page, and sees a ballot arrive as "voted" within a second; the desk imports a
 * 750-row roster built from the EP roll-call members (two bad rows first), re-imports it
 * with no change, prints the badge sheet (8 per A4 page, every QR code decoded and signed
 * in with), and exports the roster. axe-core in every state; budgets; screenshots with
 * PLENARY_SCREENSHOTS=1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, ADMIN_PASSWORD, type TestApp } from '../support/test-app.js';
import { bearer } from '../support/auth.js';
import { signIn } from '../support/fixtures.js';
import { repoRoot } from '../support/server-process.js';
import { loadEpRollCall } from '../support/ep-roll-call.js';
import {
  axeViolations,
  describeViolations,
  haveChromium,
  launchChromium,
  scrollsSideways,
  watchPage,
  weighPage,
} from './support/browser.js';

const SHOTS = process.env.PLENARY_SCREENSHOTS === '1' ? path.join(repoRoot, 'docs/screenshots') : null;
const LAPTOP = { width: 1366, height: 768 };
const require = createRequire(import.meta.url);
const JSQR_SOURCE = fs.readFileSync(require.resolve('jsqr/dist/jsQR.js'), 'utf8');

let t: TestApp;
let browser: Browser;
let base = '';
const report: string[] = [];

async function api<T = unknown>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  url: string,
  token?: string,
  payload?: unknown,
) {
  const res = await t.app.inject({
    method,
    url,
    headers: {
      ...(token ? bearer(token) : {}),
      ...(method === 'POST' ? { 'idempotency-key': crypto.randomUUID() } : {}),
    },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
  return { status: res.statusCode, body: res.json<T>() };
}

async function expectAccessible(page: Page, state: string): Promise<void> {
  const v = await axeViolations(page);
  expect(describeViolations(v), `axe on ${state}`).toEqual([]);
  report.push(`axe ${state}: 0 violations`);
}

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

async function laptop(): Promise<{ ctx: BrowserContext; page: Page; problems: string[] }> {
  const ctx = await browser.newContext({ viewport: LAPTOP, locale: 'en-GB' });
  const page = await ctx.newPage();
  return { ctx, page, problems: watchPage(page).problems };
}

/** Signs in on /sign-in the way a person does, then comes back to `next`. */
async function staffSignIn(page: Page, next: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}${next}`);
}

/** The open confirm dialog's button, pressed. */
async function confirm(page: Page, label: string): Promise<void> {
  const dialog = page.getByRole('dialog');
  await expect.poll(() => dialog.count()).toBe(1);
  await dialog.getByRole('button', { name: label }).click();
  await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
}

/** Keyboard only: the dialog opens with its confirm button focused; Enter answers it. */
async function confirmByKeyboard(page: Page, label: string): Promise<void> {
  await expect.poll(() => page.getByRole('dialog').count()).toBe(1);
  await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe(label);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
  report.push(`chair: "${label}" with Alt and Enter only`);
}

const d = haveChromium ? describe : describe.skip;

d('the staff pages in Chromium', () => {
  beforeAll(async () => {
    if (SHOTS) fs.mkdirSync(SHOTS, { recursive: true });
    [t, browser] = await Promise.all([createTestApp({ seed: 'demo' }), launchChromium()]);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (report.length) process.stdout.write(`\nstaff browser suite figures:\n  ${report.join('\n  ')}\n`);
  });

  it('budgets: each staff page weighs at most twice the hall budget (30 KB HTML, 50 KB JS, 16 KB CSS compressed)', async () => {
    const demo = t.demo!;
    const BUDGET = { Document: 30 * 1024, Script: 50 * 1024, Stylesheet: 16 * 1024 };
    for (const url of ['/sign-in', `/chair/${demo.conferenceId}`, `/desk/${demo.conferenceId}`]) {
      const ctx = await browser.newContext({ viewport: LAPTOP });
      const page = await ctx.newPage();
      const { weights: w, refetchedOnReload } = await weighPage(ctx, page, `${base}${url}`);
      report.push(
        `weight ${url.replace(demo.conferenceId, '{id}')}: HTML ${w.Document} B, JS ${w.Script} B, CSS ${w.Stylesheet} B (compressed, headers included)`,
      );
      expect(w.Document).toBeLessThanOrEqual(BUDGET.Document);
      expect(w.Script).toBeLessThanOrEqual(BUDGET.Script);
      expect(w.Stylesheet).toBeLessThanOrEqual(BUDGET.Stylesheet);
      expect(refetchedOnReload).toEqual([]);
      await ctx.close();
    }
  });

  it('a staff page without the right role says so and offers the sign-in; the sign-in shows the role and signs out', async () => {
    const demo = t.demo!;
    const { ctx, page, problems } = await laptop();
    await page.goto(`${base}/chair/${demo.conferenceId}`);
    await expect.poll(() => page.getByRole('heading', { name: 'This page is for staff' }).count()).toBe(1);
    await expect.poll(() => page.getByText('Nobody is signed in on this browser.').count()).toBe(1);
    await expectAccessible(page, 'chair, nobody signed in');
    await page.getByRole('link', { name: 'Sign in with another account' }).click();
    await page.waitForURL(/\/sign-in\?next=/);
    await expectAccessible(page, 'sign-in');
    await shot(page, 'staff-sign-in-1366');
    await page.getByLabel('Username').fill('chair');
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByText('Username or password not accepted.').count()).toBe(1);
    await expectAccessible(page, 'sign-in refused');
    await page.getByLabel('Password').fill(demo.chair.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/chair/${demo.conferenceId}`);
    await expect.poll(() => page.getByText('Signed in as chair (Chair)').count()).toBe(1);

    // The chair is not the desk's role: the desk says so, names the role it needs and the chair's.
    await page.goto(`${base}/desk/${demo.conferenceId}?lang=fr`);
    await expect.poll(() => page.getByText('Elle demande le rôle : Administrateur.').count()).toBe(1);
    expect(await page.getByText(/Vous êtes connecté avec le rôle Présidence/).count()).toBe(1);
    await expectAccessible(page, 'desk as chair (fr)');
    await page.goto(`${base}/sign-in?lang=es`);
    await expect.poll(() => page.getByText('Sesión iniciada como chair (Presidencia)').count()).toBe(1);
    await expectAccessible(page, 'sign-in, signed in (es)');
    await page.getByRole('button', { name: 'Cerrar sesión' }).click();
    await expect.poll(() => page.getByLabel('Nombre de usuario').count()).toBe(1);
    await page.goto(`${base}/sign-in?lang=en`);
    expect(await page.evaluate(() => localStorage.getItem('plenary.staff'))).toBeNull();
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('the chair runs the first three votes of the demo voting list; outcomes and adopted text match the API; a ballot shows as voted within 1 s', async () => {
    const demo = t.demo!;
    const chairToken = await signIn(t, demo.chair);
    const delegates = demo.delegates;
    const code = (name: string) => delegates.find((m) => m.name === name)!.accessCode;
    // A tabled amendment to clause 2, from the head of the SPD: the chair admits it in the console.
    const resolution = await api<{ clauses: { id: string; number: number }[] }>(
      'GET',
      `/api/v1/resolutions/${demo.resolutionId}`,
    );
    const clause2 = resolution.body.clauses.find((c) => c.number === 2)!;
    const head = await signIn(t, { accessCode: code('Katrin Albrecht') });
    const amendmentText = 'Change always creates winners and losers; our task is to leave nobody behind.';
    const tabled = await api('POST', `/api/v1/resolutions/${demo.resolutionId}/amendments`, head, {
      clauseId: clause2.id,
      kind: 'replace',
      text: amendmentText,
    });
    expect(tabled.status).toBe(201);
    // She votes on paper at the chair's table in the first vote: the desk marks her seat so
    // before any vote opens (S10: the chair enters ballots only for seats marked on paper).
    const katrin = await api<{ account: { delegateId: string } }>('POST', '/api/v1/auth/token', undefined, {
      accessCode: code('Katrin Albrecht'),
    });
    const marked = await api('PUT', `/api/v1/delegates/${katrin.body.account.delegateId}/presence`, chairToken, {
      present: true,
      votesOnPaper: true,
    });
    expect(marked.status).toBe(200);

    const { ctx, page, problems } = await laptop();
    await staffSignIn(page, `/chair/${demo.conferenceId}`, demo.chair.username, demo.chair.password);
    await expect.poll(() => page.getByRole('heading', { name: 'Agenda' }).count()).toBe(1);
    await expectAccessible(page, 'chair console');

    await page.getByRole('button', { name: 'Make current: Resolution: Social Cohesion and Progress' }).click();
    await expect.poll(() => page.getByText('The current item was moved.').count()).toBe(1);
    await page.getByRole('button', { name: 'Admit: Amendment 1 to clause 2' }).click();
    await expectAccessible(page, 'chair confirm dialog');
    await shot(page, 'chair-confirm-1366');
    await confirm(page, 'Admit');
    await expect.poll(() => page.locator('[data-amendment] .tag').first().textContent()).toBe('admitted');
    await page.getByRole('button', { name: 'Create the voting list' }).click();
    const list = page.locator('.voting-list li');
    await expect.poll(() => list.count()).toBe(15);
    expect(await list.locator('button').allTextContents()).toEqual(
      expect.arrayContaining(['Clause 1', 'Amendment 1 to clause 2 (replace)', 'Clause 2 as amended']),
    );

    // Every delegate with a vote signs in through the API; one more votes on the phone page.
    const voters = delegates.filter((m) => m.role !== 'alternate' && m.name !== 'Miriam Okonkwo-Berg');
    const tokens = new Map<string, string>();
    for (const m of voters) tokens.set(m.name, await signIn(t, { accessCode: m.accessCode }));
    const phoneCtx = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'en-GB' });
    const phone = await phoneCtx.newPage();
    await phone.goto(`${base}/vote#code=${code('Miriam Okonkwo-Berg')}`);
    await expect.poll(() => phone.getByText('Signed in for Miriam Okonkwo-Berg').count()).toBe(1);

    const plans: { title: string; choiceOf: (i: number) => 'yes' | 'no' | 'abstain'; phone: 'yes' | 'no' }[] = [
      { title: 'Clause 1', choiceOf: (i) => (i % 5 === 0 ? 'no' : 'yes'), phone: 'yes' },
      { title: 'Amendment 1 to clause 2 (replace)', choiceOf: (i) => (i % 3 === 0 ? 'no' : 'yes'), phone: 'yes' },
      { title: 'Clause 2 as amended', choiceOf: (i) => (i % 4 === 0 ? 'abstain' : 'yes'), phone: 'no' },
    ];
    const latencies: number[] = [];
    for (const [n, plan] of plans.entries()) {
      // The next vote opens with one keystroke and one confirm.
      await expect.poll(() => page.getByText(`Next: ${plan.title}.`).count()).toBe(1);
      await page.keyboard.press('Alt+KeyN');
      if (n === 0) await confirmByKeyboard(page, 'Open the vote');
      else await confirm(page, 'Open the vote');
      await expect.poll(() => page.getByText(`Open now: ${plan.title}.`).count()).toBe(1);
      const voteId = (await page.locator('.vote-detail').getAttribute('data-vote'))!;
      const seat = (name: string) => page.locator(`.seats li[data-seat="${name}"]`);
      await expect.poll(() => seat('Jonas Weidemann').getAttribute('data-voted')).toBe('no');
      if (n === 0) {
        await expectAccessible(page, 'chair vote open');
        await shot(page, 'chair-vote-open-1366');
      }

      // One ballot, watched: from the service's answer to "voted" on the chair's screen.
      const t0 = performance.now();
      const first = await api('POST', `/api/v1/votes/${voteId}/ballots`, tokens.get('Jonas Weidemann'), {
        choice: plan.choiceOf(0),
      });
      expect(first.status).toBe(201);
      await page.waitForFunction(
        (sel) => document.querySelector(sel)?.getAttribute('data-voted') === 'yes',
        '.seats li[data-seat="Jonas Weidemann"]',
        { polling: 'raf', timeout: 1000 },
      );
      latencies.push(performance.now() - t0);

      // The phone page casts for Miriam while the others cast through the API.
      const card = phone.getByRole('region', { name: plan.title });
      await expect.poll(() => card.getByRole('radio', { name: plan.phone === 'yes' ? 'Yes' : 'No' }).count()).toBe(1);
      await card.getByRole('radio', { name: plan.phone === 'yes' ? 'Yes' : 'No' }).check();
      await card.getByRole('button', { name: 'Cast' }).click();
      let i = 1;
      for (const m of voters) {
        if (m.name === 'Jonas Weidemann') continue;
        // Two of them stay out of the first vote: one enters on paper at the chair's table.
        if (n === 0 && (m.name === 'Katrin Albrecht' || i === 7)) {
          i++;
          continue;
        }
        const r = await api('POST', `/api/v1/votes/${voteId}/ballots`, tokens.get(m.name), {
          choice: plan.choiceOf(i++),
        });
        expect(r.status).toBe(201);
      }
      await expect.poll(() => card.getByText('Received', { exact: true }).count()).toBe(1);
      await expect.poll(() => seat('Miriam Okonkwo-Berg').getAttribute('data-voted')).toBe('yes');
      if (n === 0) {
        // A paper ballot for the head of the SPD, entered by the chair and marked as paper.
        await page.getByLabel('Seat').selectOption({ label: 'Katrin Albrecht' });
        await page.locator('form.paper').getByRole('radio', { name: 'Yes' }).check();
        await page.getByRole('button', { name: 'Enter the paper ballot' }).click();
        await confirm(page, 'Enter the paper ballot');
        await expect.poll(() => seat('Katrin Albrecht').textContent()).toContain('voted (paper)');
        const p = await api<{ bySeat: { name: string; via: string | null }[] }>(
          'GET',
          `/api/v1/votes/${voteId}/participation`,
          chairToken,
        );
        expect(p.body.bySeat.find((s) => s.name === 'Katrin Albrecht')?.via).toBe('paper');
        await expect.poll(() => page.locator('[data-figure="voters"] dd').textContent()).toMatch(/^\d+ of \d+$/);
        const notYet = await page.locator('.seats li[data-voted="no"]').count();
        expect(notYet).toBeGreaterThan(0);
      }

      await page.keyboard.press('Alt+KeyC');
      if (n === 0) await confirmByKeyboard(page, 'Close the vote');
      else await confirm(page, 'Close the vote');
      await expect
        .poll(() => page.locator(`.voting-list li[data-vote="${voteId}"]`).getAttribute('data-state'))
        .toBe('closed');
      const result = await api<{ outcome: string; totals: { yes: number; no: number; abstain: number } }>(
        'GET',
        `/api/v1/votes/${voteId}/result`,
      );
      const words = { adopted: 'Adopted', rejected: 'Rejected', no_quorum: 'No quorum' }[result.body.outcome]!;
      const { yes, no, abstain } = result.body.totals;
      await expect
        .poll(() => page.locator(`.voting-list li[data-vote="${voteId}"] .tag`).textContent())
        .toBe(`${result.body.outcome === 'adopted' ? '✓ ' : '✗ '}${words} (${yes}–${no}–${abstain})`);
      await expect.poll(() => page.locator('.vote-detail .outcome').textContent()).toContain(words);
      if (n === 0) {
        await expectAccessible(page, 'chair vote closed');
        await shot(page, 'chair-vote-closed-1366');
      }
    }
    report.push(
      `chair: ballot answered to "voted" on the chair's screen ${latencies.map((l) => `${Math.round(l)} ms`).join(', ')} (asserted under 1 s)`,
    );

    // The adopted text beside the list is the API's, clause 1 and the amended clause 2 marked as voted.
    const adopted = await api<{ clauses: { number: string; text: string }[] }>(
      'GET',
      `/api/v1/resolutions/${demo.resolutionId}/text?version=adopted`,
    );
    expect(adopted.body.clauses.find((c) => c.number === '2')?.text).toBe(amendmentText);
    await expect.poll(() => page.locator('.adopted li').count()).toBe(adopted.body.clauses.length);
    const shown = await page
      .locator('.adopted li')
      .evaluateAll((els) =>
        els.map((e) => [e.getAttribute('data-clause'), e.getAttribute('data-adopted'), e.textContent]),
      );
    shown.forEach(([number, , textContent], i) => {
      expect(number).toBe(adopted.body.clauses[i]!.number);
      expect(textContent).toContain(adopted.body.clauses[i]!.text);
    });
    expect(shown.filter(([, a]) => a === 'yes').map(([nr]) => nr)).toEqual(['1', '2']);
    await expect.poll(() => page.getByText('Next: Clause 3.').count()).toBe(1);
    expect(await scrollsSideways(page)).toBe(false);
    // 200% zoom of the laptop: 683 CSS px, one column, no horizontal scroll.
    await page.setViewportSize({ width: 683, height: 384 });
    expect(await scrollsSideways(page)).toBe(false);
    await page.setViewportSize(LAPTOP);
    await shot(page, 'chair-console-1366');
    expect(problems).toEqual([]);
    await phoneCtx.close();
    await ctx.close();
  });
  it('the desk imports a 750-row roster (two bad rows refused first, nothing written), re-imports with no change, checks in, sets proxies, substitutes and prints badges that sign in', async () => {
    const admin = await signIn(t, { username: 'admin', password: ADMIN_PASSWORD });
    const conf = await api<{ id: string }>('POST', '/api/v1/conferences', admin, { name: 'EP desk rehearsal' });
    const conferenceId = conf.body.id;
    const ep = loadEpRollCall('rcv_list_pv-10-2024-09-18-rcv-en.xml');
    // The EP's members in their groups (the first of each its head), alternates to round the hall up to 750.
    const TOTAL = 750;
    const alternates = TOTAL - ep.members.length;
    const rows: {
      delegation: string;
      votes: number;
      name: string;
      externalId: string;
      role: string;
      weight: number;
    }[] = [];
    ep.groups.forEach((group, g) => {
      const members = ep.members.filter((m) => m.group === group);
      members.forEach((m, i) =>
        rows.push({
          delegation: group,
          votes: members.length,
          name: m.name,
          externalId: m.mepId,
          role: i === 0 ? 'head' : 'delegate',
          weight: 1,
        }),
      );
      for (let i = g; i < alternates; i += ep.groups.length)
        rows.push({
          delegation: group,
          votes: members.length,
          name: `Alternate ${i + 1}`,
          externalId: `ALT-${i + 1}`,
          role: 'alternate',
          weight: 0,
        });
    });
    expect(rows).toHaveLength(TOTAL);
    const cell = (v: string | number) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
    const csv = (list: typeof rows) =>
      Buffer.from(
        [
          'delegation,votes,name,externalId,role,weight',
          ...list.map((r) => [r.delegation, r.votes, r.name, r.externalId, r.role, r.weight].map(cell).join(',')),
        ].join('\n') + '\n',
      );
    // Two deliberately bad rows: a badge number that is already on the roster, and a weight over the allocation.
    const bad = rows.map((r) => ({ ...r }));
    bad[100]!.externalId = bad[50]!.externalId;
    bad[300]!.weight = 1000;

    const { ctx, page, problems } = await laptop();
    await staffSignIn(page, `/desk/${conferenceId}`, 'admin', ADMIN_PASSWORD);
    await expect.poll(() => page.getByRole('heading', { name: 'Roster import' }).count()).toBe(1);
    await expectAccessible(page, 'desk empty');

    const previewOf = async (name: string, buffer: Buffer) => {
      await page.getByLabel('Roster file').setInputFiles({ name, mimeType: 'text/csv', buffer });
      await page.getByRole('button', { name: 'Preview' }).click();
      await expect.poll(() => page.getByRole('heading', { name: `Preview of ${name}` }).count()).toBe(1);
    };
    const delegateCount = async () => {
      const list = await api<{ items: { id: string }[] }>(
        'GET',
        `/api/v1/conferences/${conferenceId}/delegations?limit=1000`,
        admin,
      );
      let n = 0;
      for (const g of list.body.items)
        n += (await api<{ items: unknown[] }>('GET', `/api/v1/delegations/${g.id}/delegates?limit=1000`, admin)).body
          .items.length;
      return n;
    };

    await previewOf('ep-roster.csv', csv(bad));
    const refused = page.locator('table.refused tbody tr');
    await expect.poll(() => refused.count()).toBe(2);
    // Spreadsheet row numbers: the header is row 1, the 101st data row is row 102.
    expect(
      await refused.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-row'), tr.getAttribute('data-code')])),
    ).toEqual([
      ['102', 'duplicate_external_id'],
      ['302', 'allocation_exceeded'],
    ]);
    expect(await refused.first().textContent()).toContain('already on row 52');
    expect(await page.getByRole('button', { name: /^Import/ }).count()).toBe(0);
    expect(await page.locator('.preview').getByText('748 can be imported, 2 refused').count()).toBe(1);
    expect(await delegateCount()).toBe(0);
    await expectAccessible(page, 'desk preview with refused rows');
    await shot(page, 'desk-import-refused-1366');

    await previewOf('ep-roster-fixed.csv', csv(rows));
    await expect
      .poll(() => page.locator('[data-counts="preview"]').textContent())
      .toContain('create 750, update 0 and leave 0 delegates unchanged');
    expect(await delegateCount()).toBe(0);
    await page.getByRole('button', { name: 'Import 750 delegates' }).click();
    await expect
      .poll(() => page.locator('[data-counts="imported"]').textContent())
      .toBe('Imported: 750 created, 0 updated, 0 unchanged.');
    expect(await delegateCount()).toBe(TOTAL);
    await expectAccessible(page, 'desk imported');
    const before = await api('GET', `/api/v1/conferences/${conferenceId}/presence`, admin);

    await previewOf('ep-roster-again.csv', csv(rows));
    await expect
      .poll(() => page.locator('[data-counts="preview"]').textContent())
      .toContain('create 0, update 0 and leave 750');
    await page.getByRole('button', { name: 'Import 750 delegates' }).click();
    await expect
      .poll(() => page.locator('[data-counts="imported"]').textContent())
      .toBe('Imported: 0 created, 0 updated, 750 unchanged.');
    expect(await delegateCount()).toBe(TOTAL);
    expect((await api('GET', `/api/v1/conferences/${conferenceId}/presence`, admin)).body).toEqual(before.body);

    // Check in, proxy, substitute, one badge: a group's head A and member B, B's alternate.
    const group = ep.groups[0]!;
    const inGroup = rows.filter((r) => r.delegation === group);
    const [a, b] = inGroup;
    const alt = inGroup.find((r) => r.role === 'alternate')!;
    const search = page.getByLabel('Name, delegation or badge number');
    const pick = async (r: (typeof rows)[number]) => {
      await search.fill(r.externalId);
      await page.locator('.results').getByRole('button', { name: r.name, exact: true }).click();
      await expect.poll(() => page.getByRole('heading', { name: r.name, exact: true }).count()).toBe(1);
    };
    const delegateOf = async () => {
      const id = (await page.locator('.delegate-card').getAttribute('data-delegate'))!;
      return (
        await api<{ id: string; present: boolean; proxyToId: string | null; weight: number }>(
          'GET',
          `/api/v1/delegates/${id}`,
          admin,
        )
      ).body;
    };
    await pick(a!);
    await page.getByRole('button', { name: 'Check in' }).click();
    await expect.poll(async () => (await delegateOf()).present).toBe(true);
    const aId = (await delegateOf()).id;
    await search.fill(group);
    await expect.poll(() => page.getByText(/^\d+ found$/).count()).toBe(1);
    await pick(b!);
    await page.getByLabel('Proxy to').selectOption({ label: a!.name });
    await page.getByRole('button', { name: 'Set the proxy' }).click();
    await expect.poll(async () => (await delegateOf()).proxyToId).toBe(aId);
    await expectAccessible(page, 'desk delegate card');
    await shot(page, 'desk-delegate-1366');
    await page.getByRole('button', { name: 'Revoke the proxy' }).click();
    await expect.poll(async () => (await delegateOf()).proxyToId).toBeNull();
    await page.getByLabel('Alternate').selectOption({ label: alt.name });
    await page.getByRole('button', { name: 'Substitute' }).click();
    await confirm(page, 'Substitute');
    await expect.poll(async () => (await delegateOf()).weight).toBe(0);
    await page.getByRole('button', { name: 'Issue a badge code' }).click();
    await expect.poll(() => page.locator('.badge').count()).toBe(1);
    await page.getByRole('button', { name: 'Printed: close the sheet' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Badges' }).count()).toBe(1);
    expect(await page.locator('[data-presence="overall"]').textContent()).toBe(
      '1 of 750 delegates present, weight 1 of 720.'.replace('720', String(ep.members.length)),
    );

    // The sheet for everyone else: 749 codes issued now, shown once, 8 badges to an A4 page.
    const issued = new Map<string, string>();
    page.on('response', async (res) => {
      if (res.url().endsWith('/access-codes') && res.status() === 201)
        for (const i of ((await res.json()) as { issued: { delegateId: string; accessCode: string }[] }).issued)
          issued.set(i.delegateId, i.accessCode);
    });
    await page.getByRole('button', { name: 'Print badges for 749 delegates' }).click();
    await confirm(page, 'Print badges for 749 delegates');
    await expect.poll(() => page.locator('.badge').count(), { timeout: 60_000 }).toBe(749);
    // The response listener reads each body asynchronously: wait for the last batch's.
    await expect.poll(() => issued.size).toBe(749);
    const pages = page.locator('.badge-page');
    expect(await pages.count()).toBe(Math.ceil(749 / 8));
    const perPage = await pages.evaluateAll((els) => els.map((e) => e.querySelectorAll('.badge').length));
    expect(perPage.slice(0, -1).every((n) => n === 8)).toBe(true);
    expect(perPage.at(-1)).toBe(749 - 8 * 93);
    await expectAccessible(page, 'desk badge sheet');
    await page.emulateMedia({ media: 'print' });
    // In print, each sheet page is an A4 page (297 mm at 96 px per inch) and nothing else shows.
    const heights = await pages.evaluateAll((els) =>
      els.slice(0, 3).map((e) => Math.round(e.getBoundingClientRect().height)),
    );
    expect(heights).toEqual([1123, 1123, 1123]);
    expect(await page.locator('.staff-head').isVisible()).toBe(false);
    await shot(page, 'desk-badges-print');
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    const pdfPages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    report.push(
      `badge sheet: 749 badges, ${await pages.count()} sheet pages, PDF of ${pdfPages} A4 pages (${pdf.length} bytes)`,
    );
    expect(pdfPages).toBe(94);
    await page.emulateMedia({ media: 'screen' });

    // Every QR code, decoded in the page by jsQR from the SVG as printed, opens /vote with that badge's code.
    await page.evaluate(JSQR_SOURCE);
    const decoded = await page.evaluate(async () => {
      const jsQR = (
        globalThis as unknown as { jsQR: (d: Uint8ClampedArray, w: number, h: number) => { data: string } | null }
      ).jsQR;
      const out: { delegateId: string; code: string; url: string | null }[] = [];
      const canvas = document.createElement('canvas');
      const c2d = canvas.getContext('2d', { willReadFrequently: true })!;
      for (const badge of document.querySelectorAll('.badge')) {
        const svg = badge.querySelector('.badge-qr svg')!.outerHTML;
        const img = new Image();
        img.src = `data:image/svg+xml;base64,${btoa(svg)}`;
        await img.decode();
        const size = 4 * img.naturalWidth;
        canvas.width = canvas.height = size;
        c2d.fillStyle = '#fff';
        c2d.fillRect(0, 0, size, size);
        c2d.drawImage(img, 0, 0, size, size);
        const q = jsQR(c2d.getImageData(0, 0, size, size).data, size, size);
        out.push({
          delegateId: badge.getAttribute('data-delegate')!,
          code: badge.querySelector('.badge-code')!.textContent!,
          url: q?.data ?? null,
        });
      }
      return out;
    });
    expect(decoded).toHaveLength(749);
    for (const q of decoded) {
      expect(q.code).toBe(issued.get(q.delegateId));
      expect(q.url).toBe(`${base}/vote#code=${q.code}`);
    }
    report.push(
      `badge sheet: ${decoded.length} of 749 QR codes decoded by jsQR to ${base}/vote#code=<that badge's code>`,
    );
    // Each code signs in exactly its delegate; one through the phone page, from the decoded address.
    for (const q of decoded) {
      const r = await api<{ account: { delegateId: string } }>('POST', '/api/v1/auth/token', undefined, {
        accessCode: q.code,
      });
      expect(r.status).toBe(200);
      expect(r.body.account.delegateId).toBe(q.delegateId);
    }
    const phoneCtx = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const phonePage = await phoneCtx.newPage();
    const scanned = decoded[0]!;
    await phonePage.goto(scanned.url!);
    const who = (await api<{ name: string }>('GET', `/api/v1/delegates/${scanned.delegateId}`, admin)).body.name;
    await expect.poll(() => phonePage.getByText(`Signed in for ${who}`).count()).toBe(1);
    expect(phonePage.url()).toBe(`${base}/vote`);
    await phoneCtx.close();

    // Shown once: closing the sheet forgets the codes, and no second sheet can be printed.
    await page.getByRole('button', { name: 'Printed: close the sheet' }).click();
    await expect.poll(() => page.getByText('0 delegates have no badge code yet.').count()).toBe(1);
    expect(await page.content()).not.toContain(scanned.code);
    expect(await page.getByRole('button', { name: 'Print badges for 0 delegates' }).isDisabled()).toBe(true);

    // Presence per delegation, and the roster exported as CSV, which imports again with no change.
    await expect
      .poll(() => page.locator(`tr[data-delegation="${group}"] td`).first().textContent())
      .toBe(`1 of ${a!.votes}`);
    await expectAccessible(page, 'desk presence and badges done');
    expect(await scrollsSideways(page)).toBe(false);
    await page.setViewportSize({ width: 683, height: 384 });
    expect(await scrollsSideways(page)).toBe(false);
    await page.setViewportSize(LAPTOP);
    await shot(page, 'desk-1366');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the roster (CSV)' }).click(),
    ]);
    const exported = fs.readFileSync((await download.path())!);
    expect(exported.toString('utf8').split('\r\n')[0]).toBe(
      'delegation,votes,name,externalId,role,weight,quotaGroup,firstCongress',
    );
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${conferenceId}/roster/preview`,
      headers: { ...bearer(admin), 'content-type': 'text/csv' },
      payload: exported,
    });
    expect(again.json<{ refused: unknown[]; counts: unknown }>()).toMatchObject({
      refused: [],
      counts: { created: 0, updated: 0, unchanged: 750 },
    });
    expect(problems).toEqual([]);
    await ctx.close();
  });
});
