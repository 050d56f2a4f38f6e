/** The results file and the table in docs/performance.md: figures, ratios to the ceilings, targets. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as prettier from 'prettier';
import type { LoadResult, SittingResult } from './jobs.js';
import type { SqlResult } from '../ceiling-sql.js';
import type { InsertResult } from '../ceiling-insert.js';

export interface DbPass {
  db: 'postgres' | 'pglite';
  startup: { freshMs: number; existingMs: number[] };
  preparation: { delegates: number; rosterMs: number; signInMs: number; checkInMs: number }[];
  bursts: Record<string, LoadResult[]>;
  /** Paced ballots: a window of N delegates voting over a few seconds. */
  windows: LoadResult[];
  /** The same window with ranked ballots in a secret STV election (issue 17), and its close (count, seal, sign). */
  rankedWindows?: LoadResult[];
  rankedCloseMs?: number[];
  /** 1,000 delegates at 100 concurrent, paired with the physical ceiling at the same concurrency. */
  paired?: LoadResult[];
  sitting: SittingResult[];
  ceilings: { physical?: InsertResult[]; insert: SqlResult[]; serviceSql: SqlResult[]; framework: LoadResult[] };
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
    /** Load average when the run ended: the machine is shared, this says how much. */
    loadAverageAtEnd?: number[];
    platform: string;
    node: string;
    postgresClient: string;
  };
  versions: Record<string, string>;
  postgresServer: string;
  passes: DbPass[];
  liveFanout: unknown;
  durationSeconds?: number;
  /** Set when another checkout of the service ran under this harness (PLENARY_BENCH_SERVICE_ROOT). */
  serviceRoot?: string;
  summary?: Summary;
}

export interface Stat {
  best: number;
  median: number;
  runs: number;
}

export interface Target {
  text: string;
  met: boolean;
}

export interface WorkloadSummary {
  name: string;
  ballotsPerSecond: Stat;
  /** Latency of the run with the median throughput (ms). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Best p99 over the runs. */
  bestP99Ms: number;
  errors: number;
  /** Median workload / median ceiling: the best of the physical curve, the framework, the service's SQL. */
  ratioToPhysical: number;
  ratioToFramework: number;
  ratioToServiceSql: number;
  target: Target | null;
}

export interface WindowSummary {
  delegates: number;
  seconds: number;
  p50Ms: Stat;
  p99Ms: Stat;
  maxMs: Stat;
  errors: number;
  target: Target | null;
}

export interface PhysicalPoint {
  concurrency: number;
  rows: number;
  connections: number;
  perSecond: Stat;
  p99Ms: number;
  pgbenchPerSecond: Stat | null;
}

export interface PassSummary {
  db: 'postgres' | 'pglite';
  workloads: WorkloadSummary[];
  /** The paired workload against the minimal client at its concurrency. */
  paired: (WorkloadSummary & { client: Stat; ratioToClient: number; connections: number }) | null;
  window: WindowSummary | null;
  /** Ranked ballots over the same window; the target is the yes/no window's p99 of the same run. */
  rankedWindow: (WindowSummary & { closeMs: Stat }) | null;
  sitting: { cycleMs: Stat; ballotsPerSecond: Stat; delegates: number; cycles: number; target: Target | null };
  ceilings: {
    /** The physical curve; `best` is, per run, the best point of the curve. */
    physical: PhysicalPoint[];
    physicalBest: Stat;
    pgbenchBest: Stat | null;
    pgbenchNote: string | undefined;
    insertPerSecond: Stat;
    serviceSqlPerSecond: Stat;
    frameworkPerSecond: Stat;
  };
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

const ratio = (a: number, b: number) => (b ? a / b : 0);

/** The issue's targets (issue 18); null where it sets none. */
function burstTarget(db: 'postgres' | 'pglite', delegates: number, w: Omit<WorkloadSummary, 'target'>): Target | null {
  if (delegates < 5000) return null;
  if (db === 'pglite') return { text: '>= 2,000 ballots/s', met: w.ballotsPerSecond.median >= 2000 && w.errors === 0 };
  return {
    text: '>= 3,000/s, p99 <= 50 ms, 0 errors, >= 0.6 x framework',
    met: w.ballotsPerSecond.median >= 3000 && w.p99Ms <= 50 && w.errors === 0 && w.ratioToFramework >= 0.6,
  };
}

export function summarize(results: Results): Summary {
  return {
    passes: results.passes.map((p) => {
      const physicalRuns = p.ceilings.physical ?? [];
      const pointKeys = [...new Set(physicalRuns.flatMap((r) => r.points.map((x) => `${x.concurrency}x${x.rows}`)))];
      const physical: PhysicalPoint[] = pointKeys.map((key) => {
        const runs = physicalRuns.flatMap((r) => r.points.filter((x) => `${x.concurrency}x${x.rows}` === key));
        const bench = runs.map((x) => x.pgbenchPerSecond).filter((x): x is number => x !== undefined);
        return {
          concurrency: runs[0]!.concurrency,
          rows: runs[0]!.rows,
          connections: Math.min(...runs.map((x) => x.connections)),
          perSecond: stat(runs.map((x) => x.perSecond)),
          p99Ms: stat(
            runs.map((x) => x.latencyMs.p99),
            false,
          ).median,
          pgbenchPerSecond: bench.length ? stat(bench) : null,
        };
      });
      const physicalBest = stat(physicalRuns.map((r) => Math.max(...r.points.map((x) => x.perSecond))));
      const pgbenchRuns = physicalRuns
        .map((r) => Math.max(...r.points.map((x) => x.pgbenchPerSecond ?? 0)))
        .filter((x) => x > 0);
      const framework = stat(p.ceilings.framework.map((c) => c.perSecond));
      const serviceSql = stat(p.ceilings.serviceSql.map((c) => c.perSecond));
      const workload = (name: string, runs: LoadResult[]): Omit<WorkloadSummary, 'target'> => {
        const tput = stat(runs.map((r) => r.perSecond));
        const m = medianRun(runs);
        return {
          name,
          ballotsPerSecond: tput,
          p50Ms: m.latencyMs.p50,
          p99Ms: m.latencyMs.p99,
          maxMs: m.latencyMs.max,
          bestP99Ms: Math.min(...runs.map((r) => r.latencyMs.p99)),
          errors: runs.reduce((a, r) => a + r.errors, 0),
          ratioToPhysical: ratio(tput.median, physicalBest.median),
          ratioToFramework: ratio(tput.median, framework.median),
          ratioToServiceSql: ratio(tput.median, serviceSql.median),
        };
      };
      const workloads = Object.entries(p.bursts).map(([n, runs]): WorkloadSummary => {
        const w = workload(`burst, ${n0(Number(n))} delegates, 200 connections`, runs);
        return { ...w, target: burstTarget(p.db, Number(n), w) };
      });
      const spec = results.spec as {
        window?: { seconds: number };
        paired?: { delegates: number; connections: number };
      };
      let paired: PassSummary['paired'] = null;
      if (p.paired?.length && spec.paired) {
        const { delegates, connections } = spec.paired;
        const w = workload(`paired: ${n0(delegates)} delegates, ${connections} concurrent`, p.paired);
        const point = physical.find((x) => x.concurrency === connections && x.rows === delegates);
        const client = point?.perSecond ?? stat([]);
        const ratioToClient = ratio(w.ballotsPerSecond.median, client.median);
        paired = {
          ...w,
          client,
          ratioToClient,
          connections: point?.connections ?? 0,
          target: {
            text: `>= 1.0 x minimal client at ${connections} concurrent`,
            met: ratioToClient >= 1 && w.errors === 0,
          },
        };
      }
      const windows = p.windows ?? [];
      const p99 = stat(
        windows.map((w) => w.latencyMs.p99),
        false,
      );
      const window: WindowSummary | null =
        windows.length && spec.window
          ? {
              delegates: windows[0]!.requests,
              seconds: spec.window.seconds,
              p50Ms: stat(
                windows.map((w) => w.latencyMs.p50),
                false,
              ),
              p99Ms: p99,
              maxMs: stat(
                windows.map((w) => w.latencyMs.max),
                false,
              ),
              errors: windows.reduce((a, w) => a + w.errors, 0),
              target: p.db === 'postgres' ? { text: 'p99 <= 10 ms', met: p99.median <= 10 } : null,
            }
          : null;
      const ranked = p.rankedWindows ?? [];
      const rankedP99 = stat(
        ranked.map((w) => w.latencyMs.p99),
        false,
      );
      const rankedWindow =
        ranked.length && spec.window
          ? {
              delegates: ranked[0]!.requests,
              seconds: spec.window.seconds,
              p50Ms: stat(
                ranked.map((w) => w.latencyMs.p50),
                false,
              ),
              p99Ms: rankedP99,
              maxMs: stat(
                ranked.map((w) => w.latencyMs.max),
                false,
              ),
              closeMs: stat(p.rankedCloseMs ?? [], false),
              errors: ranked.reduce((a, w) => a + w.errors, 0),
              target: {
                text: `p99 <= yes/no window's p99 (${n0(p99.median)} ms) x 1.5`,
                met: rankedP99.median <= Math.max(p99.median * 1.5, 10),
              },
            }
          : null;
      const cycles = p.sitting.flatMap((s) => s.cycles);
      const cycleMs = stat(
        cycles.map((c) => c.cycleMs),
        false,
      );
      const existing = stat(p.startup.existingMs, false);
      const pgbenchNote = physicalRuns.map((r) => r.pgbenchNote).find((x) => x !== undefined);
      return {
        db: p.db,
        workloads,
        paired,
        window,
        rankedWindow,
        sitting: {
          cycleMs,
          ballotsPerSecond: stat(cycles.map((c) => c.ballots.perSecond)),
          delegates: cycles[0]?.ballots.requests ?? 0,
          cycles: cycles.length,
          target: p.db === 'postgres' ? { text: '<= 500 ms', met: cycleMs.median <= 500 } : null,
        },
        ceilings: {
          physical,
          physicalBest,
          pgbenchBest: pgbenchRuns.length ? stat(pgbenchRuns) : null,
          pgbenchNote,
          insertPerSecond: stat(p.ceilings.insert.map((c) => c.perSecond)),
          serviceSqlPerSecond: serviceSql,
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
const targetCells = (t: Target | null) => (t ? `${t.text} | ${yes(t.met)}` : ' | ');

export function renderMarkdown(results: Results): string {
  const summary = results.summary ?? summarize(results);
  const m = results.machine;
  const lines: string[] = [];
  lines.push(
    `Run of ${results.date.slice(0, 16).replace('T', ' ')} UTC, size \`${results.size}\`, ${results.durationSeconds ?? '?'} s; ` +
      `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, load average at start ${m.loadAverageAtStart.join(' / ')}` +
      `${m.loadAverageAtEnd ? `, at end ${m.loadAverageAtEnd.join(' / ')}` : ''}; ` +
      `Node ${m.node}, PostgreSQL ${results.postgresServer}, ` +
      Object.entries(results.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') +
      '.' +
      (results.serviceRoot ? ` Service from \`${results.serviceRoot}\`.` : ''),
    '',
    'Figures are "best / median" over the runs (a single figure when there was one run). Ratios are median to median, ' +
      'to ceilings measured in the same run: **physical** is the best point of the minimal-client insert curve below, ' +
      "**framework** the bare Fastify route with the token check, **service SQL** the service's own ballot SQL without HTTP.",
    '',
  );
  for (const p of summary.passes) {
    const c = p.ceilings;
    lines.push(`### ${p.db === 'postgres' ? 'PostgreSQL' : 'Embedded PGlite'}`, '');
    lines.push(
      '| workload | ballots/s (best / median) | p50 / p99 / max ms | errors | x physical | x framework | x service SQL | target | |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    const row = (w: WorkloadSummary, extra = '') =>
      `| ${w.name}${extra} | ${bm(w.ballotsPerSecond)} | ${n0(w.p50Ms)} / ${n0(w.p99Ms)} / ${n0(w.maxMs)} (best p99 ${n0(w.bestP99Ms)}) | ${w.errors} | ${n2(w.ratioToPhysical)} | ${n2(w.ratioToFramework)} | ${n2(w.ratioToServiceSql)} | ${targetCells(w.target)} |`;
    for (const w of p.workloads) lines.push(row(w));
    if (p.paired) {
      lines.push(
        row(
          p.paired,
          `; minimal ${p.db === 'postgres' ? `pg client, same rows and concurrency (${p.paired.connections} connections)` : 'PGlite client, same rows and concurrency (one connection)'}: ${bm(p.paired.client)}/s, **x ${n2(p.paired.ratioToClient)}**`,
        ),
      );
    }
    const w = p.window;
    if (w) {
      lines.push(
        `| window: ${n0(w.delegates)} delegates voting within ${w.seconds} s (paced, ${n0(w.delegates / w.seconds)}/s) | | p50 ${bm(w.p50Ms)}, p99 ${bm(w.p99Ms)}, max ${bm(w.maxMs)} | ${w.errors} | | | | ${targetCells(w.target)} |`,
      );
    }
    const rw = p.rankedWindow;
    if (rw) {
      lines.push(
        `| ranked window: ${n0(rw.delegates)} delegates casting STV rankings within ${rw.seconds} s (paced), then the close | | p50 ${bm(rw.p50Ms)}, p99 ${bm(rw.p99Ms)}, max ${bm(rw.maxMs)}; close ${bm(rw.closeMs)} | ${rw.errors} | | | | ${targetCells(rw.target)} |`,
      );
    }
    const sit = p.sitting.ballotsPerSecond.median;
    lines.push(
      `| sitting, ${p.sitting.delegates} delegates, ${p.sitting.cycles} vote cycles: ballots/s inside a cycle | ${bm(p.sitting.ballotsPerSecond)} | | | ${n2(ratio(sit, c.physicalBest.median))} | ${n2(ratio(sit, c.frameworkPerSecond.median))} | ${n2(ratio(sit, c.serviceSqlPerSecond.median))} | | |`,
      '',
      '| ceilings and other figures | best / median | beside it | target | |',
      '|---|---|---|---|---|',
    );
    for (const x of c.physical) {
      lines.push(
        `| physical: plain durable single-row insert, minimal ${p.db === 'postgres' ? 'pg client' : 'PGlite client'}, ${x.concurrency} concurrent, ${n0(x.rows)} rows (${x.connections} connection${x.connections === 1 ? '' : 's'}) | ${bm(x.perSecond)} inserts/s, p99 ${n0(x.p99Ms)} ms | ${x.pgbenchPerSecond ? `pgbench: ${bm(x.pgbenchPerSecond)} tx/s` : ''} | | |`,
      );
    }
    if (c.physical.length) {
      lines.push(
        `| physical ceiling: best point of the curve | ${bm(c.physicalBest)} inserts/s | ${c.pgbenchBest ? `pgbench best: ${bm(c.pgbenchBest)} tx/s` : (c.pgbenchNote ?? '')} | | |`,
      );
    }
    lines.push(
      `| the ballot statement alone (idempotency record + ballot + notify), ${p.db === 'postgres' ? `pool ${(results.spec as { poolSize?: number }).poolSize ?? 4}` : 'one connection'}, 200 workers | ${bm(c.insertPerSecond)} inserts/s | | | |`,
      `| the service's SQL for a delegate's ballot, no HTTP, 200 workers | ${bm(c.serviceSqlPerSecond)} ballots/s | | | |`,
      `| framework: bare Fastify route, token check only, 200 connections | ${bm(c.frameworkPerSecond)} req/s | | | |`,
      `| sitting: one vote cycle (open, all vote, close) | ${bm(p.sitting.cycleMs)} ms | | ${targetCells(p.sitting.target)} |`,
      `| start on a new ${p.db === 'postgres' ? 'database' : 'data folder'} to healthy | ${s1(p.startup.freshMs)} s | | <= 10 s | ${yes(p.startup.freshMet)} |`,
      `| start on an existing one to healthy | ${bm(p.startup.existingMs, s1)} s | | <= 2 s | ${yes(p.startup.existingMet)} |`,
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
