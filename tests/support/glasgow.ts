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
