/** The results file and the table in docs/performance.md: figures, ratios to the ceilings, targets. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as prettier from 'prettier';
import type { LoadResult, SittingResult } from './jobs.js';
import type { SqlResult } from '../ceiling-sql.js';

export interface DbPass {
  db: 'postgres' | 'pglite';
  startup: { freshMs: number; existingMs: number[] };
  preparation: { delegates: number; rosterMs: number; signInMs: number; checkInMs: number }[];
  bursts: Record<string, LoadResult[]>;
  /** Paced ballots: a window of N delegates voting over a few seconds. */
  windows: LoadResult[];
  sitting: SittingResult[];
  ceilings: { insert: SqlResult[]; serviceSql: SqlResult[]; framework: LoadResult[] };
  errors: number;
}

export interface Results {
  date: string;
  size: string;
  spec: unknown;
  machine: {
    cores: number;
    cpuModel: string;
    memoryGiB: number;
    loadAverageAtStart: number[];
    platform: string;
    node: string;
    postgresClient: string;
  };
  versions: Record<string, string>;
  postgresServer: string;
  passes: DbPass[];
  liveFanout: unknown;
  durationSeconds?: number;
  summary?: Summary;
}

export interface Stat {
  best: number;
  median: number;
  runs: number;
}

export interface BurstSummary {
  delegates: number;
  ballotsPerSecond: Stat;
  /** Latency of the run with the median throughput (ms). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Best p99 over the runs. */
  bestP99Ms: number;
  errors: number;
  /** Median burst / median ceiling. */
  ratioToInsertCeiling: number;
  ratioToFrameworkCeiling: number;
  target: { text: string; met: boolean };
}

export interface WindowSummary {
  delegates: number;
  seconds: number;
  p50Ms: Stat;
  p99Ms: Stat;
  maxMs: Stat;
  errors: number;
}

export interface PassSummary {
  db: 'postgres' | 'pglite';
  bursts: BurstSummary[];
  window: WindowSummary | null;
  sitting: { cycleMs: Stat; ballotsPerSecond: Stat; delegates: number; cycles: number };
  ceilings: { insertPerSecond: Stat; serviceSqlPerSecond: Stat; frameworkPerSecond: Stat };
  startup: { freshMs: number; existingMs: Stat; freshMet: boolean; existingMet: boolean };
}

export interface Summary {
  passes: PassSummary[];
}

function stat(values: number[], higherIsBetter = true): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
  const median =
    sorted.length % 2 === 0 && sorted.length > 0
      ? (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2
      : mid;
  return { best: (higherIsBetter ? sorted.at(-1) : sorted[0]) ?? 0, median, runs: values.length };
}

/** The run whose throughput is the (lower) median. */
function medianRun(runs: LoadResult[]): LoadResult {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export function summarize(results: Results): Summary {
  return {
    passes: results.passes.map((p) => {
      const insert = stat(p.ceilings.insert.map((c) => c.perSecond));
      const framework = stat(p.ceilings.framework.map((c) => c.perSecond));
      const bursts = Object.entries(p.bursts).map(([n, runs]): BurstSummary => {
        const tput = stat(runs.map((r) => r.perSecond));
        const m = medianRun(runs);
        const errors = runs.reduce((a, r) => a + r.errors, 0);
        const ratioToInsertCeiling = insert.median ? tput.median / insert.median : 0;
        const target =
          p.db === 'postgres'
            ? {
                text: '>= 0.5 x insert ceiling, p99 <= 50 ms, 0 errors',
                met: ratioToInsertCeiling >= 0.5 && m.latencyMs.p99 <= 50 && errors === 0,
              }
            : { text: '>= 1,000 ballots/s, 0 errors', met: tput.median >= 1000 && errors === 0 };
        return {
          delegates: Number(n),
          ballotsPerSecond: tput,
          p50Ms: m.latencyMs.p50,
          p99Ms: m.latencyMs.p99,
          maxMs: m.latencyMs.max,
          bestP99Ms: Math.min(...runs.map((r) => r.latencyMs.p99)),
          errors,
          ratioToInsertCeiling,
          ratioToFrameworkCeiling: framework.median ? tput.median / framework.median : 0,
          target,
        };
      });
      const windowSpec = (results.spec as { window?: { seconds: number } }).window;
      const windows = p.windows ?? [];
      const window: WindowSummary | null =
        windows.length && windowSpec
          ? {
              delegates: windows[0]!.requests,
              seconds: windowSpec.seconds,
              p50Ms: stat(
                windows.map((w) => w.latencyMs.p50),
                false,
              ),
              p99Ms: stat(
                windows.map((w) => w.latencyMs.p99),
                false,
              ),
              maxMs: stat(
                windows.map((w) => w.latencyMs.max),
                false,
              ),
              errors: windows.reduce((a, w) => a + w.errors, 0),
            }
          : null;
      const cycles = p.sitting.flatMap((s) => s.cycles);
      const existing = stat(p.startup.existingMs, false);
      return {
        db: p.db,
        bursts,
        window,
        sitting: {
          cycleMs: stat(
            cycles.map((c) => c.cycleMs),
            false,
          ),
          ballotsPerSecond: stat(cycles.map((c) => c.ballots.perSecond)),
          delegates: cycles[0]?.ballots.requests ?? 0,
          cycles: cycles.length,
        },
        ceilings: {
          insertPerSecond: insert,
          serviceSqlPerSecond: stat(p.ceilings.serviceSql.map((c) => c.perSecond)),
          frameworkPerSecond: framework,
        },
        startup: {
          freshMs: p.startup.freshMs,
          existingMs: existing,
          freshMet: p.startup.freshMs <= 10_000,
          existingMet: existing.median <= 2_000,
        },
      };
    }),
  };
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const n2 = (v: number) => v.toFixed(2);
const s1 = (ms: number) => (ms / 1000).toFixed(1);
const yes = (met: boolean) => (met ? 'met' : '**missed**');
const bm = (s: Stat, f: (v: number) => string = n0) => (s.runs > 1 ? `${f(s.best)} / ${f(s.median)}` : f(s.best));

export function renderMarkdown(results: Results): string {
  const summary = results.summary ?? summarize(results);
  const m = results.machine;
  const lines: string[] = [];
  lines.push(
    `Run of ${results.date.slice(0, 16).replace('T', ' ')} UTC, size \`${results.size}\`, ${results.durationSeconds ?? '?'} s; ` +
      `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, load average at start ${m.loadAverageAtStart.join(' / ')}; ` +
      `Node ${m.node}, PostgreSQL ${results.postgresServer}, ` +
      Object.entries(results.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') +
      '.',
    '',
    'Figures are "best / median" over the runs (a single figure when there was one run). Ratios are median to median.',
    '',
  );
  for (const p of summary.passes) {
    const c = p.ceilings;
    lines.push(`### ${p.db === 'postgres' ? 'PostgreSQL' : 'Embedded PGlite'}`, '');
    lines.push(
      '| workload | ballots/s (best / median) | p50 / p99 / max ms | errors | x insert ceiling | x framework ceiling | target | |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const b of p.bursts) {
      lines.push(
        `| burst, ${n0(b.delegates)} delegates, 200 connections | ${bm(b.ballotsPerSecond)} | ${n0(b.p50Ms)} / ${n0(b.p99Ms)} / ${n0(b.maxMs)} (best p99 ${n0(b.bestP99Ms)}) | ${b.errors} | ${n2(b.ratioToInsertCeiling)} | ${n2(b.ratioToFrameworkCeiling)} | ${b.target.text} | ${yes(b.target.met)} |`,
      );
    }
    const w = p.window;
    if (w) {
      lines.push(
        `| window: ${n0(w.delegates)} delegates voting within ${w.seconds} s (paced, ${n0(w.delegates / w.seconds)}/s) | | p50 ${bm(w.p50Ms)}, p99 ${bm(w.p99Ms)}, max ${bm(w.maxMs)} | ${w.errors} | | | what the hall sees | |`,
      );
    }
    lines.push(
      `| sitting, ${p.sitting.delegates} delegates, ${p.sitting.cycles} vote cycles: ballots/s inside a cycle | ${bm(p.sitting.ballotsPerSecond)} | | | ${n2(c.insertPerSecond.median ? p.sitting.ballotsPerSecond.median / c.insertPerSecond.median : 0)} | ${n2(c.frameworkPerSecond.median ? p.sitting.ballotsPerSecond.median / c.frameworkPerSecond.median : 0)} | | |`,
      '',
      '| other figures | best / median | target | |',
      '|---|---|---|---|',
      `| sitting: one vote cycle (open, all vote, close) | ${bm(p.sitting.cycleMs)} ms | | |`,
      `| ceiling: ballot insert statement alone, ${p.db === 'postgres' ? `pool ${(results.spec as { poolSize?: number }).poolSize ?? 4}` : 'one connection'}, 200 workers | ${bm(c.insertPerSecond)} inserts/s | | |`,
      `| the service's SQL for one ballot (the one checked statement), no HTTP | ${bm(c.serviceSqlPerSecond)} ballots/s | | |`,
      `| ceiling: bare Fastify route, token check only, 200 connections | ${bm(c.frameworkPerSecond)} req/s | | |`,
      `| start on a new ${p.db === 'postgres' ? 'database' : 'data folder'} to healthy | ${s1(p.startup.freshMs)} s | <= 10 s | ${yes(p.startup.freshMet)} |`,
      `| start on an existing one to healthy | ${bm(p.startup.existingMs, s1)} s | <= 2 s | ${yes(p.startup.existingMet)} |`,
      '',
    );
  }
  const live = results.liveFanout as { table?: string; error?: string; args?: string[] } | null;
  if (live) {
    lines.push(`### Live fan-out (bench/live-fanout.ts ${(live.args ?? []).join(' ')})`, '');
    lines.push(live.table ?? `The live benchmark failed: ${(live.error ?? 'unknown').split('\n')[0]}`, '');
  }
  return lines.join('\n');
}

const BEGIN = '<!-- bench:begin (written by bench/run.ts) -->';
const END = '<!-- bench:end -->';

/**
 * Replaces the figures between the markers in docs/performance.md, keeping the prose around
 * them, and formats the file as `npm run format` would, so that a run leaves it committable.
 */
export async function writeMarkdown(file: string, table: string): Promise<void> {
  const block = `${BEGIN}\n\n${table}\n${END}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const i = current.indexOf(BEGIN);
  const j = current.indexOf(END);
  const next =
    i >= 0 && j > i
      ? `${current.slice(0, i)}${block}${current.slice(j + END.length)}`
      : `# Performance\n\nRerun with \`npx tsx bench/run.ts\`.\n\n## Latest figures\n\n${block}\n`;
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(next, { ...options, filepath: file }));
}
