/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4): what a scraper
 * would accept from /metrics. It throws on any line that is not a HELP, a TYPE, or a sample
 * of a family declared before it (histograms: _bucket with le, _sum, _count), on a
 * malformed name, label or value, and on a series given twice.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)",?/;
const VALUE = /^(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN)$/;

export function parseMetrics(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const series = new Set<string>();
  const fail = (n: number, line: string, why: string): never => {
    throw new Error(`metrics line ${n + 1}: ${why}: ${line}`);
  };
  if (!text.endsWith('\n')) throw new Error('metrics text must end with a newline');
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, n) => {
      if (line === '') return;
      const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
      if (meta) {
        const [, kind, name, rest] = meta as unknown as [string, string, string, string];
        const f = families.get(name) ?? { name, type: 'untyped' as const, help: '', samples: [] };
        families.set(name, f);
        if (kind === 'HELP') f.help = rest;
        else if (['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest))
          f.type = rest as Family['type'];
        else fail(n, line, 'unknown type');
        return;
      }
      if (line.startsWith('#')) return; // a comment
      const m = SAMPLE.exec(line) ?? fail(n, line, 'not a sample');
      const [, name, labelText = '', value] = m as unknown as [string, string, string | undefined, string];
      if (!VALUE.test(value)) fail(n, line, 'bad value');
      const labels: Record<string, string> = {};
      for (let rest = labelText; rest !== '';) {
        const l = LABEL.exec(rest) ?? fail(n, line, 'bad label');
        if (l[1]! in labels) fail(n, line, 'label twice');
        labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
        rest = rest.slice(l[0].length);
      }
      const family =
        families.get(name) ??
        [...families.values()].find(
          (f) =>
            (f.type === 'histogram' || f.type === 'summary') &&
            /_(bucket|sum|count)$/.test(name) &&
            name.replace(/_(bucket|sum|count)$/, '') === f.name,
        ) ??
        fail(n, line, 'sample of no declared family');
      if (name.endsWith('_bucket') && family.type === 'histogram' && labels.le === undefined)
        fail(n, line, 'bucket without le');
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (series.has(key)) fail(n, line, 'series twice');
      series.add(key);
      family.samples.push({ name, labels, value: Number(value) });
    });
  return families;
}

/** The sum of a family's samples named `sample` (default: the family) whose labels include `labels`. */
export function total(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
  sample = name,
): number {
  const f = families.get(name);
  if (!f) throw new Error(`no metric ${name}`);
  return f.samples
    .filter((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
