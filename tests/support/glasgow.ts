import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The four Glasgow 2007 wards shipped in tests/fixtures/stv-glasgow-2007 and their reference counts. */
export const GLASGOW_WARDS = ['Anderston-City', 'Calton', 'Linn', 'Springburn'] as const;
export type GlasgowWard = (typeof GLASGOW_WARDS)[number];

const dir = fileURLToPath(new URL('../fixtures/stv-glasgow-2007/', import.meta.url));

export function wardBlt(ward: GlasgowWard): string {
  return readFileSync(`${dir}${ward}-2007.blt`, 'utf8');
}

export interface ReferenceRow {
  round: string;
  action: string;
  quota: string;
  nonTransferable: string;
  candidates: { name: string; state: string; vote: string }[];
}

/** The .count.tsv rows that carry figures (begin, elect, transfer, defeat, ...), log lines left out. */
export function wardReference(ward: GlasgowWard): ReferenceRow[] {
  const lines = readFileSync(`${dir}${ward}-2007.count.tsv`, 'utf8').trim().split('\n').slice(1);
  const rows: ReferenceRow[] = [];
  for (const line of lines) {
    const cells = line.split('\t');
    const [round, action, quota, nonTransferable, ...rest] = cells;
    if (action === 'log' || action === 'round') continue;
    const candidates: ReferenceRow['candidates'] = [];
    for (let i = 0; i + 2 < rest.length; i += 3)
      candidates.push({ name: rest[i]!, state: rest[i + 1]!, vote: rest[i + 2]! });
    rows.push({ round: round!, action: action!, quota: quota!, nonTransferable: nonTransferable!, candidates });
  }
  return rows;
}

/** Declared elected in 2007 (by surname). */
export const ELECTED_2007: Record<GlasgowWard, string[]> = {
  'Anderston-City': ['Nina Baker', 'Philip Braat', 'Craig MacKay', 'Gordon Matheson'],
  Calton: ['George Redmond', 'Ruth Simpson', 'Alison E Thewliss'],
  Linn: ['Margot Clark', 'Sadie Docherty', 'John McKenzie', 'David Ritchie'],
  Springburn: ['Phil Greene', 'Allan Stewart', 'James Todd'],
};

/*
 * The reference writes a row per action: "defeat" or "unpend" names the candidate,
 * the "transfer" after it carries the figures. Turn it into our stages: first,
 * transfer (a surplus), exclude, elect, each with its candidate and figures.
 */
export function expectedStages(rows: ReferenceRow[]) {
  const out: { action: string; candidate: string | null; votes: string[]; nonTransferable: string }[] = [];
  let previous: ReferenceRow | undefined;
  let named: { action: string; candidate: string } | null = null;
  for (const row of rows) {
    const changed = (from: string[], to: string) =>
      row.candidates.find((c, i) => c.state === to && from.includes(previous?.candidates[i]?.state ?? ''))?.name;
    const figures = { votes: row.candidates.map((c) => c.vote), nonTransferable: row.nonTransferable };
    if (row.action === 'begin') out.push({ action: 'first', candidate: null, ...figures });
    else if (row.action === 'defeat') named ??= { action: 'exclude', candidate: changed(['H'], 'D')! };
    else if (row.action === 'unpend') named = { action: 'transfer', candidate: changed(['e'], 'E')! };
    else if (row.action === 'transfer') {
      out.push({ ...named!, ...figures });
      named = null;
    } else if (row.action === 'elect')
      out.push({ action: 'elect', candidate: (changed(['H'], 'e') ?? changed(['H'], 'E'))!, ...figures });
    previous = row;
  }
  return out;
}
