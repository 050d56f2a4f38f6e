import { discreteLog, type Ciphertext } from './elgamal.js';
import {
  EncodingError,
  G,
  IDENTITY,
  SUITE,
  bytesToHex,
  hexToBytes,
  invert,
  mod,
  mul,
  mulPublic,
  pointFromHex,
  pointToHex,
  randomScalar,
  scalarFromHex,
  scalarToHex,
  type Point,
} from './group.js';
import { proveDleq, proveKnowledge, verifyDleq, verifyKnowledge, type ProofPart } from './proofs.js';

/**
 * The tellers (trustees) and the election key, k of n, by joint-Feldman (Pedersen's DKG):
 *
 * 1. each teller i (1..n) makes an identity key pair (e_i, E_i = e_i G) on their own
 *    device and publishes E_i with a proof of knowledge: the key its shares are sent to;
 * 2. each teller picks a random polynomial f_i of degree k-1, publishes the Feldman
 *    commitments C_ij = a_ij G (j < k) with a proof of knowledge of a_i0, and sends teller
 *    l the share f_i(l) ENCRYPTED to E_l (ECIES: ECDH, HKDF-SHA-256, AES-256-GCM);
 * 3. each teller checks the shares it received against the commitments. A bad one gets a
 *    complaint that anyone can check: the ECDH point e_l R with a proof that it is (a
 *    Chaum-Pedersen proof, log_G E_l = log_R K), so the share can be decrypted publicly.
 *    A teller with a valid complaint is out; the rest are the qualified set Q.
 *
 * The joint public key Y = sum over Q of C_i0 and teller l's verification key
 * Y_l = sum over Q of sum_j l^j C_ij come from the public commitments alone; teller l's
 * secret share s_l = sum over Q of f_i(l) never leaves its device. Any k partial
 * decryptions s_l * A, each proven against Y_l, combine by Lagrange interpolation at 0.
 */

export interface TellerIdentity {
  index: number;
  publicKey: string;
  proof: ProofPart;
}

export interface TellerSecret {
  index: number;
  secretKey: string;
}

export interface EncryptedShare {
  to: number;
  /** The ECIES ephemeral point R. */
  ephemeral: string;
  /** AES-256-GCM of the share's 32 bytes, with its 16-byte tag. */
  ciphertext: string;
}

export interface Dealing {
  index: number;
  commitments: string[];
  proof: ProofPart;
  shares: EncryptedShare[];
}

export interface Complaint {
  accuser: number;
  accused: number;
  /** e_accuser * R of the accused's share to the accuser. */
  sharedPoint: string;
  proof: ProofPart;
}

export interface PartialDecryption {
  index: number;
  factors: { d: string; proof: ProofPart }[];
}

export class TellerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TellerError';
  }
}

/** The context of teller i's proof of its identity key (docs/e2e-ballots.md section 2). */
export const identityContext = (ctx: readonly string[], i: number) => [...ctx, 'teller', String(i), 'identity'];
/**
 * A dealing's proof of knowledge signs all of it: every commitment and every encrypted
 * share, so no one can alter a share in the record without breaking the proof.
 */
const dealingContext = (
  ctx: readonly string[],
  i: number,
  commitments: readonly string[],
  shares: readonly EncryptedShare[],
) => [
  ...ctx,
  'teller',
  String(i),
  'dealing',
  ...commitments,
  ...shares.flatMap((s) => [String(s.to), s.ephemeral, s.ciphertext]),
];
const complaintContext = (ctx: readonly string[], accuser: number, accused: number) => [
  ...ctx,
  'teller',
  String(accuser),
  'complaint',
  String(accused),
];
const partialContext = (ctx: readonly string[], i: number, option: number) => [
  ...ctx,
  'teller',
  String(i),
  'partial',
  String(option),
];

function checkIndex(i: number): void {
  if (!Number.isSafeInteger(i) || i < 1 || i > 255) throw new TellerError('invalid_teller', 'a teller index is 1..255');
}

export function createIdentity(
  context: readonly string[],
  index: number,
): { identity: TellerIdentity; secret: TellerSecret } {
  checkIndex(index);
  const e = randomScalar();
  const x = mul(G, e);
  return {
    identity: { index, publicKey: pointToHex(x), proof: proveKnowledge(identityContext(context, index), x, e) },
    secret: { index, secretKey: scalarToHex(e) },
  };
}

export function verifyIdentity(context: readonly string[], id: TellerIdentity): boolean {
  try {
    checkIndex(id.index);
    return verifyKnowledge(identityContext(context, id.index), pointFromHex(id.publicKey), id.proof);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- ECIES

const utf8 = new TextEncoder();

async function shareKey(
  context: readonly string[],
  from: number,
  to: number,
  shared: Point,
  ephemeral: string,
  recipient: string,
): Promise<{ key: CryptoKey; iv: Uint8Array<ArrayBuffer> }> {
  const subtle = globalThis.crypto.subtle;
  const ikm = await subtle.importKey('raw', shared.toBytes() as Uint8Array<ArrayBuffer>, 'HKDF', false, ['deriveBits']);
  const info = utf8.encode(JSON.stringify([[...context], String(from), String(to), ephemeral, recipient]));
  const bits = new Uint8Array(
    await subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: utf8.encode(`${SUITE}/share`), info },
      ikm,
      (32 + 12) * 8,
    ),
  );
  const key = await subtle.importKey('raw', bits.slice(0, 32), 'AES-GCM', false, ['encrypt', 'decrypt']);
  return { key, iv: bits.slice(32) };
}

export async function encryptShare(
  context: readonly string[],
  from: number,
  to: TellerIdentity,
  share: bigint,
): Promise<EncryptedShare> {
  const r = randomScalar();
  const ephemeral = pointToHex(mul(G, r));
  const shared = mul(pointFromHex(to.publicKey), r);
  const { key, iv } = await shareKey(context, from, to.index, shared, ephemeral, to.publicKey);
  const ct = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv },
    key,
    hexToBytes(scalarToHex(share)) as Uint8Array<ArrayBuffer>,
  );
  return { to: to.index, ephemeral, ciphertext: bytesToHex(new Uint8Array(ct)) };
}

/** The share, or null when it does not decrypt (a wrong key, a tampered ciphertext). */
async function decryptShare(
  context: readonly string[],
  from: number,
  enc: EncryptedShare,
  shared: Point,
  recipient: string,
): Promise<bigint | null> {
  try {
    const { key, iv } = await shareKey(context, from, enc.to, shared, enc.ephemeral, recipient);
    const plain = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv },
      key,
      hexToBytes(enc.ciphertext) as Uint8Array<ArrayBuffer>,
    );
    return scalarFromHex(bytesToHex(new Uint8Array(plain)));
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- dealing

function evaluate(coefficients: readonly bigint[], x: number): bigint {
  let v = 0n;
  for (let j = coefficients.length - 1; j >= 0; j--) v = mod(v * BigInt(x) + coefficients[j]!);
  return v;
}

/** sum_j x^j C_j: the public image f(x) G of a polynomial, from its commitments. */
function evaluateCommitments(commitments: readonly Point[], x: number): Point {
  let v = IDENTITY;
  for (let j = commitments.length - 1; j >= 0; j--) v = mulPublic(v, BigInt(x)).add(commitments[j]!);
  return v;
}

/** A random polynomial of degree k - 1: its coefficients, a_0 first. */
export function polynomial(threshold: number): bigint[] {
  if (!Number.isSafeInteger(threshold) || threshold < 1) throw new TellerError('invalid_threshold', 'k >= 1');
  return Array.from({ length: threshold }, () => randomScalar());
}

/** The proof of knowledge of a_0 over the whole dealing (see dealingContext). */
export function signDealing(
  context: readonly string[],
  index: number,
  constant: bigint,
  commitments: string[],
  shares: EncryptedShare[],
): Dealing {
  const proof = proveKnowledge(dealingContext(context, index, commitments, shares), mul(G, constant), constant);
  return { index, commitments, proof, shares };
}

/** Teller `me`'s dealing of its polynomial to every teller (itself included). */
export async function deal(
  context: readonly string[],
  me: TellerSecret,
  coefficients: readonly bigint[],
  tellers: readonly TellerIdentity[],
): Promise<Dealing> {
  if (coefficients.length < 1 || coefficients.length > tellers.length)
    throw new TellerError('invalid_threshold', `the threshold is 1..${tellers.length}`);
  for (const t of tellers)
    if (!verifyIdentity(context, t))
      throw new TellerError('invalid_identity', `teller ${t.index}'s key has no valid proof`);
  if (new Set(tellers.map((t) => t.index)).size !== tellers.length)
    throw new TellerError('invalid_teller', 'teller indices repeat');
  const shares: EncryptedShare[] = [];
  for (const t of tellers) shares.push(await encryptShare(context, me.index, t, evaluate(coefficients, t.index)));
  return signDealing(
    context,
    me.index,
    coefficients[0]!,
    coefficients.map((a) => pointToHex(mul(G, a))),
    shares,
  );
}

/** The public checks of a dealing: its size, the proof of its constant term, one share per teller. */
export function verifyDealing(
  context: readonly string[],
  dealing: Dealing,
  threshold: number,
  tellers: readonly TellerIdentity[],
): boolean {
  try {
    if (!Array.isArray(dealing.commitments) || dealing.commitments.length !== threshold) return false;
    const c = dealing.commitments.map(pointFromHex);
    if (!Array.isArray(dealing.shares)) return false;
    if (
      !verifyKnowledge(
        dealingContext(context, dealing.index, dealing.commitments, dealing.shares),
        c[0]!,
        dealing.proof,
      )
    )
      return false;
    const to = dealing.shares.map((s) => s.to).sort((a, b) => a - b);
    const expected = tellers.map((t) => t.index).sort((a, b) => a - b);
    return to.length === expected.length && to.every((v, i) => v === expected[i]);
  } catch {
    return false;
  }
}

export type OpenedShare = { ok: true; share: bigint } | { ok: false; complaint: Complaint };

/**
 * Teller `me` opens the share a dealing sends it and checks it against the commitments;
 * a share that does not decrypt or does not match gives a complaint to publish.
 */
export async function openShare(
  context: readonly string[],
  me: TellerSecret,
  myIdentity: TellerIdentity,
  dealing: Dealing,
): Promise<OpenedShare> {
  const enc = dealing.shares.find((s) => s.to === me.index);
  if (!enc) throw new TellerError('missing_share', `teller ${dealing.index} sent no share to ${me.index}`);
  const e = scalarFromHex(me.secretKey);
  const r = pointFromHex(enc.ephemeral);
  const shared = mul(r, e);
  const share = await decryptShare(context, dealing.index, enc, shared, myIdentity.publicKey);
  const commitments = dealing.commitments.map(pointFromHex);
  if (share !== null && mul(G, share).equals(evaluateCommitments(commitments, me.index))) return { ok: true, share };
  return {
    ok: false,
    complaint: {
      accuser: me.index,
      accused: dealing.index,
      sharedPoint: pointToHex(shared),
      proof: proveDleq(complaintContext(context, me.index, dealing.index), mul(G, e), r, shared, e),
    },
  };
}

/**
 * A complaint holds when its ECDH point is proven and the share it opens is missing,
 * undecryptable or off the commitments. A false complaint (the share was good) does not.
 */
export async function complaintHolds(
  context: readonly string[],
  complaint: Complaint,
  accuser: TellerIdentity,
  dealing: Dealing,
): Promise<boolean> {
  try {
    if (complaint.accuser !== accuser.index || complaint.accused !== dealing.index) return false;
    const enc = dealing.shares.find((s) => s.to === accuser.index);
    if (!enc) return true;
    const e = pointFromHex(accuser.publicKey);
    const r = pointFromHex(enc.ephemeral);
    const shared = pointFromHex(complaint.sharedPoint);
    if (!verifyDleq(complaintContext(context, accuser.index, dealing.index), e, r, shared, complaint.proof))
      return false;
    const share = await decryptShare(context, dealing.index, enc, shared, accuser.publicKey);
    if (share === null) return true;
    return !mul(G, share).equals(evaluateCommitments(dealing.commitments.map(pointFromHex), accuser.index));
  } catch (err) {
    if (err instanceof EncodingError) return false;
    throw err;
  }
}

/**
 * The qualified tellers: those whose dealing passes the public checks and against whom
 * no complaint holds. Fewer than k means the key ceremony must start again.
 */
export async function qualifiedTellers(
  context: readonly string[],
  threshold: number,
  tellers: readonly TellerIdentity[],
  dealings: readonly Dealing[],
  complaints: readonly Complaint[],
): Promise<number[]> {
  const out: number[] = [];
  for (const t of tellers) {
    const d = dealings.find((x) => x.index === t.index);
    if (!d || !verifyDealing(context, d, threshold, tellers)) continue;
    let accused = false;
    for (const c of complaints.filter((x) => x.accused === t.index)) {
      const accuser = tellers.find((x) => x.index === c.accuser);
      if (accuser && (await complaintHolds(context, c, accuser, d))) accused = true;
    }
    if (!accused) out.push(t.index);
  }
  return out.sort((a, b) => a - b);
}

function qualifiedDealings(dealings: readonly Dealing[], qualified: readonly number[]): Dealing[] {
  return qualified.map((i) => {
    const d = dealings.find((x) => x.index === i);
    if (!d) throw new TellerError('missing_dealing', `no dealing of teller ${i}`);
    return d;
  });
}

export function jointPublicKey(dealings: readonly Dealing[], qualified: readonly number[]): Point {
  return qualifiedDealings(dealings, qualified).reduce((acc, d) => acc.add(pointFromHex(d.commitments[0])), IDENTITY);
}

export function verificationKey(dealings: readonly Dealing[], qualified: readonly number[], index: number): Point {
  return qualifiedDealings(dealings, qualified).reduce(
    (acc, d) => acc.add(evaluateCommitments(d.commitments.map(pointFromHex), index)),
    IDENTITY,
  );
}

/** Teller l's secret share: the sum of the shares the qualified tellers sent it. */
export function secretShare(shares: readonly bigint[]): bigint {
  return mod(shares.reduce((a, b) => a + b, 0n));
}

// ---------------------------------------------------------------- decryption

/** Teller `index`'s partial decryption of each aggregate ciphertext, each with its proof. */
export function partialDecrypt(
  context: readonly string[],
  index: number,
  share: bigint,
  aggregate: readonly Ciphertext[],
): PartialDecryption {
  const yl = mul(G, share);
  return {
    index,
    factors: aggregate.map((ct, option) => {
      const d = mul(ct.a, share);
      return { d: pointToHex(d), proof: proveDleq(partialContext(context, index, option), yl, ct.a, d, share) };
    }),
  };
}

export function verifyPartial(
  context: readonly string[],
  verification: Point,
  aggregate: readonly Ciphertext[],
  partial: PartialDecryption,
): boolean {
  try {
    if (!Array.isArray(partial.factors) || partial.factors.length !== aggregate.length) return false;
    return partial.factors.every((f, option) =>
      verifyDleq(
        partialContext(context, partial.index, option),
        verification,
        aggregate[option]!.a,
        pointFromHex(f.d),
        f.proof,
      ),
    );
  } catch {
    return false;
  }
}

/** lambda_l = prod over m != l of m / (m - l), mod L: the Lagrange coefficient at 0. */
export function lagrangeAtZero(indices: readonly number[], l: number): bigint {
  let num = 1n;
  let den = 1n;
  for (const m of indices) {
    if (m === l) continue;
    num = mod(num * BigInt(m));
    den = mod(den * BigInt(m - l));
  }
  return mod(num * invert(den));
}

/**
 * The totals from k valid partial decryptions (the first k, by index): per option
 * b - sum lambda_l D_l = total*G, then the bounded discrete logarithm. Fewer than k
 * partials cannot decrypt and are refused; so is a total that is not at most `bound`.
 */
export function combine(
  aggregate: readonly Ciphertext[],
  partials: readonly PartialDecryption[],
  threshold: number,
  bound: number,
): number[] {
  const chosen = [...partials].sort((a, b) => a.index - b.index).slice(0, threshold);
  if (chosen.length < threshold || new Set(chosen.map((p) => p.index)).size < threshold)
    throw new TellerError('too_few_partials', `${threshold} tellers must decrypt; ${chosen.length} did`);
  const indices = chosen.map((p) => p.index);
  return aggregate.map((ct, option) => {
    const d = chosen.reduce(
      (acc, p) => acc.add(mulPublic(pointFromHex(p.factors[option]!.d), lagrangeAtZero(indices, p.index))),
      IDENTITY,
    );
    const total = discreteLog(ct.b.subtract(d), bound);
    if (total === null) throw new TellerError('total_out_of_range', `option ${option}: no total up to ${bound}`);
    return total;
  });
}
