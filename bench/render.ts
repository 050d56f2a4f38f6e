/**
 * Rewrites the table in docs/performance.md from a results file without measuring again:
 * `npx tsx bench/render.ts [bench/results/latest.json] [--no-live]`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderMarkdown, summarize, writeMarkdown, type Results } from './lib/report.js';
import { repoRoot } from './lib/service.js';

const file = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? path.join(repoRoot, 'bench/results/latest.json');
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
if (process.argv.includes('--no-live')) results.liveFanout = null;
results.summary = summarize(results);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
const table = renderMarkdown(results);
await writeMarkdown(path.join(repoRoot, 'docs/performance.md'), table);
process.stdout.write(`${table}\n`);
