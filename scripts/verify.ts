/**
 * npm run verify -- <record.json | export.jsonl | receipt.json | tally.json> [--jwks <file or url>] [--receipt <hex>]
 *
 * Checks a Plenary vote record (a secret_e2e vote's with its encrypted tally: every ballot
 * proof, the aggregate, the tellers' decryptions, then the rule on the decrypted totals), a
 * whole conference export, a receipt's inclusion proof or a bare tally record (plenary-e2e-tally/1),
 * trusting nothing but the JWKS: prints one PASS/FAIL line per check and exits 1 if any
 * check fails (2 on a usage error). Independent of the service: see scripts/verify-core.ts.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { kindOf, verifyExport, verifyReceiptAnswer, verifyRecord, type Check, type Jwks } from './verify-core.js';
import { isElectionRecord, verifyElectionRecord } from './verify-election.js';
import { verifyE2eTally } from './verify-e2e.js';

const USAGE =
  'usage: verify <record.json | export.jsonl | receipt.json | tally.json> [--jwks <file or url>] [--receipt <hex>]';

async function loadJwks(source: string): Promise<Jwks> {
  const text = /^https?:\/\//.test(source)
    ? await fetch(source).then((r) => {
        if (!r.ok) throw new Error(`GET ${source}: ${r.status}`);
        return r.text();
      })
    : readFileSync(source, 'utf8');
  const jwks = JSON.parse(text) as Jwks;
  if (!Array.isArray(jwks.keys)) throw new Error(`${source} is not a JWKS ({"keys": [...]})`);
  return jwks;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export async function runVerify(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  let file: string | undefined;
  let jwksSource: string | undefined;
  let receipt: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--jwks') jwksSource = argv[++i];
    else if (a === '--receipt') receipt = argv[++i]?.toLowerCase();
    else if (a === '--help' || a === '-h') {
      out(USAGE);
      return 0;
    } else if (!file) file = a;
    else {
      out(USAGE);
      return 2;
    }
  }
  if (!file || (receipt !== undefined && !/^[0-9a-f]{64}$/.test(receipt))) {
    out(USAGE);
    return 2;
  }

  let text: string;
  let jwks: Jwks | null = null;
  try {
    text = readFileSync(file, 'utf8');
    if (jwksSource) jwks = await loadJwks(jwksSource);
  } catch (err) {
    out(`FAIL input: ${(err as Error).message}`);
    return 1;
  }

  let checks: Check[];
  // An election record (scripts/verify-election.ts) recounts every round and stage.
  const doc = safeParse(text);
  const kind = isElectionRecord(doc)
    ? 'election'
    : (doc as { format?: unknown } | null)?.format === 'plenary-e2e-tally/1'
      ? 'e2e tally'
      : kindOf(text);
  switch (kind) {
    case 'export': {
      const result = await verifyExport(text, jwks, receipt);
      if (result.jwksSource === 'export header')
        out('NOTE keys taken from the export header: pass --jwks <published JWKS> to check against keys you trust');
      checks = result.checks;
      break;
    }
    case 'record':
      checks = await verifyRecord(JSON.parse(text) as Record<string, unknown>, jwks, receipt ? { receipt } : {});
      break;
    case 'receipt':
      checks = await verifyReceiptAnswer(JSON.parse(text) as Record<string, unknown>, jwks, receipt);
      break;
    case 'election':
      checks = await verifyElectionRecord(JSON.parse(text) as Record<string, unknown>, jwks);
      break;
    case 'e2e tally':
      // A tally record alone: its proofs and totals, without a signature (see a vote's record for that).
      checks = verifyE2eTally(doc as Record<string, unknown>);
      break;
    case 'unknown':
      out(`FAIL input: ${file} is not a Plenary record, export or receipt answer`);
      return 1;
  }
  for (const c of checks) out(`${c.ok ? 'PASS' : 'FAIL'} ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
  const failed = checks.filter((c) => !c.ok).length;
  out(
    failed === 0
      ? `OK: ${checks.length} checks passed (${kind})`
      : `FAILED: ${failed} of ${checks.length} checks (${kind})`,
  );
  return failed === 0 && checks.length > 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runVerify(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
