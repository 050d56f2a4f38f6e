/**
 * Real Chromium for the page tests: Debian's /usr/bin/chromium driven by playwright-core
 * (never a browser download). One browser serves a whole test file; each scenario gets a
 * fresh context. playwright's launch() gives the browser a new, empty user-data directory
 * of its own (removed on close), so no profile, cache or storage leaks between runs.
 * Where chromium is missing the tests print one line and skip (.ci/run installs it).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.PLENARY_CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  process.stdout.write(`browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)\n`);
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * axe-core's WCAG 2.2 A/AA rules on the page as it is now. Evaluated through the DevTools
 * protocol, which the page's CSP does not govern (a script tag would be refused, rightly).
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe !== 'undefined');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const axe = (
      globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: unknown[] }> } }
    ).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations as AxeViolation[];
  }, AXE_TAGS);
}

/** Readable in a failed assertion: rule, impact and the first elements concerned. */
export function describeViolations(v: AxeViolation[]): string[] {
  return v.map(
    (x) =>
      `${x.id} (${x.impact}): ${x.help} at ${x.nodes
        .slice(0, 3)
        .map((n) => n.target.join(' '))
        .join(', ')}`,
  );
}

/** Collects CSP violations and page errors: a page that breaks its own policy fails its test. */
export function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  return { problems };
}

/** True when the document is wider than the viewport (a horizontal scrollbar). */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}

export interface PageWeights {
  /** Bytes the browser received (compressed, headers included) per resource type, not counting cache hits. */
  weights: { Document: number; Script: number; Stylesheet: number };
  /** Assets fetched again over the network when the page is reloaded (none, if caching works). */
  refetchedOnReload: string[];
}

/** Loads `url` in the page, weighs what came over the network (Chrome's own counts), then reloads it. */
export async function weighPage(ctx: BrowserContext, page: Page, url: string): Promise<PageWeights> {
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  const seen = new Map<string, { type: string; url: string; cached: boolean; bytes: number }>();
  // requestServedFromCache (memory cache) comes before responseReceived: keep what it said.
  cdp.on('Network.responseReceived', (e) =>
    seen.set(e.requestId, {
      type: e.type,
      url: e.response.url,
      // Served by the phone page's service worker from its cache: no network either.
      cached:
        (seen.get(e.requestId)?.cached ?? false) ||
        e.response.fromDiskCache === true ||
        e.response.fromServiceWorker === true,
      bytes: 0,
    }),
  );
  cdp.on('Network.requestServedFromCache', (e) => {
    const r = seen.get(e.requestId);
    if (r) r.cached = true;
    else seen.set(e.requestId, { type: '', url: '', cached: true, bytes: 0 });
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = seen.get(e.requestId);
    if (r) r.bytes = e.encodedDataLength;
  });
  await page.goto(url, { waitUntil: 'networkidle' });
  const sum = (type: string) =>
    [...seen.values()].filter((r) => r.type === type && !r.cached).reduce((n, r) => n + r.bytes, 0);
  const weights = { Document: sum('Document'), Script: sum('Script'), Stylesheet: sum('Stylesheet') };
  seen.clear();
  await page.reload({ waitUntil: 'networkidle' });
  const refetchedOnReload = [...seen.values()].filter((r) => r.url.includes('/assets/') && !r.cached).map((r) => r.url);
  return { weights, refetchedOnReload };
}
