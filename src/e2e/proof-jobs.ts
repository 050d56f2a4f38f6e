import {
  add,
  ciphertextFromHex,
  ciphertextToHex,
  scale,
  sum,
  type Ciphertext,
  type CiphertextHex,
} from '../domain/e2e/elgamal.js';
import { createHash } from 'node:crypto';
import { type Ballot, type BallotShape, type BallotStatement } from '../domain/e2e/ballot.js';
import { verifyBallotFast } from '../domain/e2e/fast-verify.js';
import { sodiumReady } from '../domain/e2e/sodium-group.js';
import type { ProofPart } from '../domain/e2e/proofs.js';
import canonicalize from 'canonicalize';

/**
 * The CPU-heavy work on encrypted ballots, as plain functions of plain data: the proof
 * workers (proof-worker.ts) run them off the event loop, and the pool runs them inline when
 * it has no workers (size 0). Nothing here holds a secret. A ballot's proofs are checked by
 * fast-verify.ts (libsodium's WebAssembly ristretto255, the verdict of ballot.ts's
 * verifyBallot at a tenth of its cost); the sums stay on noble.
 */
export type ProofJob =
  | { kind: 'check'; shape: BallotShape; statement: BallotStatement; publicKey: string; ballot: unknown }
  | { kind: 'sum'; shape: BallotShape; ballots: { ballot: Ballot }[] };

export type CheckResult = { ok: true; tracker: string } | { ok: false; reason: string };
export type SumResult = CiphertextHex[];

export type ProofJobResult<J extends ProofJob> = J extends { kind: 'check' } ? CheckResult : SumResult;

/** An option's ciphertext in a ballot already checked: a split option's is the weighted sum of its bits. */
function optionCiphertexts(shape: BallotShape, ballot: Ballot): Ciphertext[] {
  return shape.options.map((id, i) => {
    const o = ballot.options[i];
    if (!o || o.id !== id) throw new Error(`a stored ballot does not have option ${id} at ${i}`);
    if ('ct' in o) return ciphertextFromHex(o.ct);
    let total: Ciphertext | null = null;
    for (const [j, bit] of o.bits.entries()) {
      const weighted = scale(ciphertextFromHex(bit.ct), 2n ** BigInt(j));
      total = total ? add(total, weighted) : weighted;
    }
    if (!total) throw new Error(`a stored split option ${id} has no bits`);
    return total;
  });
}

const proofOf = (parts: ProofPart[]): ProofPart[] => parts.map((p) => ({ c: p.c, z: p.z }));
const ctOf = (ct: CiphertextHex): CiphertextHex => ({ a: ct.a, b: ct.b });

/** The ballot with the fields of its format only (docs section 5), from one that verified. */
function formOf(ballot: Ballot): Ballot {
  return {
    options: ballot.options.map((o) =>
      'bits' in o
        ? { id: o.id, bits: o.bits.map((b) => ({ ct: ctOf(b.ct), proof: proofOf(b.proof) })) }
        : { id: o.id, ct: ctOf(o.ct), proof: proofOf(o.proof) },
    ),
    groups: ballot.groups.map((g) => ({ id: g.id, proof: proofOf(g.proof) })),
  };
}

export async function runProofJob(job: ProofJob): Promise<CheckResult | SumResult> {
  if (job.kind === 'check') {
    await sodiumReady();
    const check = verifyBallotFast(job.shape, job.statement, job.publicKey, job.ballot);
    if (!check.ok) return { ok: false, reason: check.reason };
    // The tracker hashes the whole ballot as stored: a field outside the format would ride
    // along in the record unchecked, so the ballot must be its format exactly.
    const ballot = job.ballot as Ballot;
    const json = canonicalize(ballot);
    if (json === undefined || canonicalize(formOf(ballot)) !== json)
      return { ok: false, reason: 'the ballot has fields outside its format' };
    // ballotTracker's hash (SHA-256 of the canonical JSON), on the string already made.
    return { ok: true, tracker: createHash('sha256').update(json, 'utf8').digest('hex') };
  }
  const per = job.ballots.map((b) => optionCiphertexts(job.shape, b.ballot));
  return job.shape.options.map((_, i) => ciphertextToHex(sum(per.map((cts) => cts[i]!))));
}

/** Adds per-option sums computed in parts (each part a worker's share of the ballots). */
export function addSums(shape: BallotShape, parts: readonly SumResult[]): SumResult {
  return shape.options.map((_, i) => ciphertextToHex(sum(parts.map((p) => ciphertextFromHex(p[i])))));
}
