/**
 * The encrypted-ballot cryptography, measured: `npx tsx bench/e2e-crypto.ts [--size ci|full] [--browser]`.
 *
 * - a 3-option vote ballot (weight 3): encryption with every proof, and its verification
 *   (the service's check before it accepts, and the verifier's per ballot), in CPU time;
 * - a bloc's split ballot (allocation 40: 6 bits per option), the same;
 * - the service's check, the reference (noble, ballot.ts) against the fast one (libsodium's
 *   WebAssembly, fast-verify.ts), median over 50 ballots each (5 at ci size): the vote
 *   ballot, the split ballot, a 5-candidate yes/no/abstain ballot, a 10-candidate approval
 *   ballot; and the proof worker pool's throughput (vote ballots per second, 1 and 2 workers);
 * - the tally with 3 tellers (2 needed) of N ballots (10,000 at full size): the aggregate,
 *   each teller's partial decryption with proofs, their verification, the combination and
 *   the discrete logarithms. The ballots' ciphertexts for the tally are built from a pool of
 *   encryptions of 0 (two additions per ciphertext, as the cost of the tally does not depend
 *   on how they were made, and 30,000 full encryptions would take minutes here);
 * - the browser bundle of the phone's encrypt path (esbuild --bundle --minify, gzip), and with
 *   --browser its run time in Chromium with 4x CPU throttling (the issue's phone profile).
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import {
  aggregate,
  choiceValues,
  encryptBallot,
  verifyBallot,
  type BallotShape,
  type BallotStatement,
} from '../src/domain/e2e/ballot.js';
import { verifyBallotFast } from '../src/domain/e2e/fast-verify.js';
import { approvalShape, yesNoAbstainShape } from '../src/domain/e2e/shapes.js';
import { sodiumReady } from '../src/domain/e2e/sodium-group.js';
import { ProofWorkerPool } from '../src/e2e/proof-workers.js';
import { discreteLog, encrypt, type Ciphertext } from '../src/domain/e2e/elgamal.js';
import { G, fixedBase, mul, pointToHex, randomScalar, smallG } from '../src/domain/e2e/group.js';
import { combine, partialDecrypt, verificationKey, verifyPartial } from '../src/domain/e2e/tellers.js';
import { ceremony } from '../tests/support/e2e-ceremony.js';

const args = process.argv.slice(2);
const size = args.includes('--size') ? args[args.indexOf('--size') + 1] : 'full';
const RUNS = size === 'ci' ? 2 : 20;
const TALLY = size === 'ci' ? 200 : 10_000;

const VOTE: BallotShape = {
  options: ['yes', 'no', 'abstain'],
  groups: [{ id: 'all', options: ['yes', 'no', 'abstain'], min: 1, max: 1 }],
};
const CTX = ['vote', 'bench'];

function cpuMs<T>(f: () => T): { ms: number; value: T } {
  const start = process.cpuUsage();
  const value = f();
  const u = process.cpuUsage(start);
  return { ms: (u.user + u.system) / 1000, value };
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)]!;
  return `median ${median.toFixed(1)} ms, best ${s[0]!.toFixed(1)} ms (${s.length} runs)`;
}

const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  console.log(line);
};

const c = await ceremony(CTX, 3, 2);
const Y = c.publicKey;
say(`e2e crypto, ${size} size, node ${process.version}, CPU time per operation`);

// Warm up the JIT and the key's window table.
for (let i = 0; i < 2; i++)
  encryptBallot(VOTE, { context: [...CTX, 'seat', 'w'], weight: 3, split: false }, Y, { yes: 3 });

for (const [label, weight, split, values] of [
  ['vote ballot (3 options, weight 3)', 3, false, choiceValues(VOTE, 3, ['no'])],
  ['split ballot (allocation 40, 6 bits x 3)', 40, true, { yes: 25, no: 10, abstain: 5 }],
] as const) {
  const enc: number[] = [];
  const ver: number[] = [];
  const runs = split ? Math.max(1, Math.floor(RUNS / 4)) : RUNS;
  for (let i = 0; i < runs; i++) {
    const statement = { context: [...CTX, 'seat', `s-${i}`], weight, split };
    const e = cpuMs(() => encryptBallot(VOTE, statement, Y, values));
    enc.push(e.ms);
    const v = cpuMs(() => verifyBallot(VOTE, statement, Y, e.value.ballot));
    if (!v.value.ok) throw new Error(v.value.reason);
    ver.push(v.ms);
  }
  say(`${label}: encrypt + proofs ${stats(enc)}; verify ${stats(ver)}`);
}

// The service's check: reference (noble) against fast (libsodium), on the same ballots.
await sodiumReady();
const KEY = pointToHex(Y);
const CHECKS = size === 'ci' ? 5 : 50;
const YNA = yesNoAbstainShape(['a', 'b', 'c', 'd', 'e'], 2);
const APPROVAL = approvalShape(['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10'], 3);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [label, shape, weight, split, values] of [
  ['vote ballot (3 options, weight 3)', VOTE, 3, false, choiceValues(VOTE, 3, ['no'])],
  ['split ballot (allocation 40, 6 bits x 3)', VOTE, 40, true, { yes: 25, no: 10, abstain: 5 }],
  [
    'yes/no/abstain, 5 candidates, 2 seats (15 options, 6 groups)',
    YNA,
    1,
    false,
    choiceValues(YNA, 1, ['a:yes', 'b:no', 'c:abstain', 'd:yes', 'e:no']),
  ],
  [
    'approval, 10 candidates, at most 3 (10 options, 1 group)',
    APPROVAL,
    1,
    false,
    choiceValues(APPROVAL, 1, ['c2', 'c5', 'c9']),
  ],
] as const) {
  const made = Array.from({ length: CHECKS }, (_, i) => {
    const statement: BallotStatement = { context: [...CTX, 'seat', `c-${i}`], weight, split };
    return { statement, ballot: encryptBallot(shape, statement, Y, values).ballot };
  });
  // Each in its own loop, after a warm-up: the reference's garbage would otherwise be
  // collected during the fast check's turn (a worker only ever runs the fast one).
  const measure = (check: (b: (typeof made)[number]) => { ok: boolean }): number[] => {
    for (const b of made.slice(0, 3)) check(b);
    return made.map((b) => {
      const t = cpuMs(() => check(b));
      if (!t.value.ok) throw new Error(`${label}: a valid ballot was refused`);
      return t.ms;
    });
  };
  const fast = measure((b) => verifyBallotFast(shape, b.statement, KEY, b.ballot));
  const ref = measure((b) => verifyBallot(shape, b.statement, fixedBase(KEY), b.ballot));
  say(
    `service check, ${label}: reference (noble) median ${median(ref).toFixed(2)} ms, ` +
      `fast (libsodium) median ${median(fast).toFixed(2)} ms, best ${Math.min(...fast).toFixed(2)} ms ` +
      `(${CHECKS} ballots; ${(median(ref) / median(fast)).toFixed(1)}x)`,
  );
}

// The proof worker pool: vote ballots checked per second, all submitted at once.
const POOLED = size === 'ci' ? 40 : 400;
const jobs = Array.from({ length: POOLED }, (_, i) => {
  const statement: BallotStatement = { context: [...CTX, 'seat', `p-${i}`], weight: 3, split: false };
  const { ballot } = encryptBallot(VOTE, statement, Y, choiceValues(VOTE, 3, ['yes']));
  return { kind: 'check' as const, shape: VOTE, statement, publicKey: KEY, ballot };
});
for (const workers of [1, 2]) {
  const pool = new ProofWorkerPool({ size: workers });
  try {
    await Promise.all(jobs.slice(0, workers * 2).map((j) => pool.run(j))); // start and warm the workers
    const t0 = performance.now();
    const results = await Promise.all(jobs.map((j) => pool.run(j)));
    const s = (performance.now() - t0) / 1000;
    if (!results.every((r) => r.ok)) throw new Error('the pool refused a valid ballot');
    say(
      `proof worker pool, ${workers} worker${workers > 1 ? 's' : ''}: ${POOLED} vote ballots (check + tracker) in ` +
        `${(s * 1000).toFixed(0)} ms wall, ${(POOLED / s).toFixed(0)} ballots/s`,
    );
  } finally {
    await pool.close();
  }
}

// The tally.
const pool = Array.from({ length: 64 }, () => encrypt(0, Y, randomScalar()));
const weightG = [0, 1, 2, 3, 4, 5].map((w) => smallG(w));
let clear = [0, 0, 0];
let bound = 0;
const ballots: Ciphertext[][] = [];
for (let i = 0; i < TALLY; i++) {
  const w = 1 + (i % 5);
  const choice = (i * 7) % 3;
  bound += w;
  clear = clear.map((t, o) => t + (o === choice ? w : 0));
  ballots.push(
    [0, 1, 2].map((o) => {
      const z1 = pool[(i * 3 + o) % 64]!;
      const z2 = pool[(i * 5 + o * 11 + 1) % 64]!;
      return { a: z1.a.add(z2.a), b: z1.b.add(z2.b).add(weightG[o === choice ? w : 0]!) };
    }),
  );
}
const agg = cpuMs(() => aggregate(VOTE, ballots));
const partials = [1, 2, 3].map((l) => cpuMs(() => partialDecrypt(CTX, l, c.shares.get(l)!, agg.value)));
const keys = [1, 2, 3].map((l) => fixedBase(pointToHex(verificationKey(c.dealings, c.qualified, l))));
const checks = partials.map((p, i) => cpuMs(() => verifyPartial(CTX, keys[i]!, agg.value, p.value)));
if (!checks.every((x) => x.value)) throw new Error('a partial decryption failed');
const comb = cpuMs(() => combine(agg.value, [partials[0]!.value, partials[2]!.value], 2, bound));
if (comb.value.join() !== clear.join()) throw new Error(`tally ${comb.value.join()} != ${clear.join()}`);
say(
  `tally of ${TALLY.toLocaleString('en')} ballots, 3 tellers (2 needed): aggregate ${agg.ms.toFixed(0)} ms; ` +
    `partial decryption ${partials.map((p) => p.ms.toFixed(0)).join('/')} ms per teller; ` +
    `their checks ${checks.map((p) => p.ms.toFixed(0)).join('/')} ms; combination + discrete logs ` +
    `(bound ${bound.toLocaleString('en')}) ${comb.ms.toFixed(0)} ms; totals ${comb.value.join('/')}`,
);
const worst = cpuMs(() => discreteLog(mul(G, 9_999_999n), 10_000_000));
say(`discrete log at the 10^7 bound (worst case, cold table): ${worst.ms.toFixed(0)} ms`);

// The phone's bundle: only encrypt + prove (and the key's decoding).
// fixedBase builds the key's window table once (the page can do it while the voter reads).
const entry = `import { encryptBallot } from './src/domain/e2e/ballot.js';
import { fixedBase, G } from './src/domain/e2e/group.js';
globalThis.plenaryPrepare = (key) => { fixedBase(key); G.multiply(1n); };
globalThis.plenaryEncrypt = (shape, statement, key, values) => encryptBallot(shape, statement, fixedBase(key), values);`;
const bundle = await build({
  stdin: { contents: entry, resolveDir: process.cwd(), loader: 'ts' },
  bundle: true,
  minify: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
});
const js = bundle.outputFiles[0]!.contents;
say(
  `phone encrypt bundle: ${(js.length / 1024).toFixed(1)} KiB minified, ${(gzipSync(js).length / 1024).toFixed(1)} KiB gzipped`,
);

if (args.includes('--browser')) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><title>bench</title>');
    await page.addScriptTag({ content: new TextDecoder().decode(js) });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const times = await page.evaluate(
      ([shape, key]) => {
        const g = globalThis as unknown as Record<'plenaryEncrypt' | 'plenaryPrepare', (...a: unknown[]) => unknown>;
        const t0 = performance.now();
        g.plenaryPrepare(key);
        const out: number[] = [performance.now() - t0];
        const f = g.plenaryEncrypt;
        for (let i = 0; i < 6; i++) {
          const t = performance.now();
          f(shape, { context: ['vote', 'bench', 'seat', `p-${i}`], weight: 3, split: false }, key, { no: 3 });
          out.push(performance.now() - t);
        }
        return out;
      },
      [VOTE, pointToHex(Y)] as const,
    );
    say(
      `phone profile (Chromium, 4x CPU throttling, wall time): key tables ${times[0]!.toFixed(0)} ms once; vote ballot ` +
        `encrypt + proofs, first ${times[1]!.toFixed(0)} ms, then ${stats(times.slice(2))}`,
    );
  } finally {
    await browser.close();
  }
}
