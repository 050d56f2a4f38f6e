/**
 * Summarizing a V8 .cpuprofile (node --cpu-prof): self time per function and per area
 * (a package, the service's own files, Node internals, GC, idle), optionally only over a
 * window of CLOCK_MONOTONIC microseconds (the clock of both process.hrtime and the profile's
 * timestamps), so that the summary covers the measured burst and not the start-up.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  name: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  windowed: boolean;
  /** Busy = not idle, not "(program)" bookkeeping. */
  busyMs: number;
  topFunctions: Row[];
  areas: Row[];
  /** Total (inclusive) time under functions whose name matches, e.g. the ballot handler. */
  inclusive: Row[];
}

function areaOf(url: string, name: string): string {
  if (name === '(idle)') return '(idle)';
  if (name === '(garbage collector)') return '(garbage collector)';
  if (name === '(program)') return '(program)';
  if (!url) return '(native / V8 builtins)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const src = /\/src\/(.+)$/.exec(url);
  if (src) return `src/${src[1]!.split('/')[0]}`;
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/src\//, 'src/');
}

export function summarizeProfile(
  file: string,
  opts: { fromUs?: number; toUs?: number; top?: number; inclusiveNames?: string[] } = {},
): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let t = p.startTime;
  let total = 0;
  const windowed = opts.fromUs !== undefined && opts.toUs !== undefined;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (windowed && (t < opts.fromUs! || t > opts.toUs!)) continue;
    // A sample's time is the delta to the next sample.
    const next = p.timeDeltas[i + 1] ?? 0;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + next);
    total += next;
  }
  const fnSelf = new Map<string, number>();
  const areaSelf = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    fnSelf.set(name, (fnSelf.get(name) ?? 0) + us);
    const area = areaOf(url, functionName);
    areaSelf.set(area, (areaSelf.get(area) ?? 0) + us);
    if (opts.inclusiveNames?.length) {
      // Walk up the stack once per distinct wanted name.
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const f = byId.get(cur)!.callFrame.functionName;
        for (const w of opts.inclusiveNames) {
          if (f === w && !seen.has(w)) {
            seen.add(w);
            inclusive.set(w, (inclusive.get(w) ?? 0) + us);
          }
        }
      }
    }
  }
  const idle = (areaSelf.get('(idle)') ?? 0) + (areaSelf.get('(program)') ?? 0);
  const rows = (m: Map<string, number>, top: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, percent: total ? (100 * us) / total : 0 }));
  return {
    totalMs: total / 1000,
    windowed,
    busyMs: (total - idle) / 1000,
    topFunctions: rows(fnSelf, opts.top ?? 30),
    areas: rows(areaSelf, 25),
    inclusive: rows(inclusive, 50),
  };
}

export function renderProfile(s: ProfileSummary): string {
  const lines = [
    `profile: ${s.totalMs.toFixed(0)} ms sampled${s.windowed ? ' (burst window only)' : ''}, ${s.busyMs.toFixed(0)} ms busy`,
    '',
    '| area | self ms | % |',
    '|---|---|---|',
    ...s.areas.map((r) => `| ${r.name} | ${r.selfMs.toFixed(0)} | ${r.percent.toFixed(1)} |`),
    '',
    '| function (self time) | self ms | % |',
    '|---|---|---|',
    ...s.topFunctions.map((r) => `| \`${r.name}\` | ${r.selfMs.toFixed(0)} | ${r.percent.toFixed(1)} |`),
  ];
  if (s.inclusive.length) {
    lines.push(
      '',
      '| function (inclusive time) | ms | % |',
      '|---|---|---|',
      ...s.inclusive.map((r) => `| \`${r.name}\` | ${r.selfMs.toFixed(0)} | ${r.percent.toFixed(1)} |`),
    );
  }
  return lines.join('\n');
}
