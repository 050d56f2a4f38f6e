/**
 * The independent verifier of encrypted-ballot tallies (docs/e2e-ballots.md, format
 * `plenary-e2e-tally/1`). It imports nothing from the service: the encodings, the
 * Fiat-Shamir hash (RFC 9380 expand_message_xmd over node:crypto's SHA-512), the proofs,
 * the share encryption, the aggregate and the Lagrange combination are written again here
 * from that page, so that a bug in the service is not silently shared. Only the group
 * arithmetic comes from a library (@noble/curves' ristretto255).
 */
import { createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { ristretto255 } from '@noble/curves/ed25519.js';
import canonicalize from 'canonicalize';

export interface Check {
  ok: boolean;
  name: string;
  detail?: string;
}

type P = InstanceType<typeof ristretto255.Point>;
type Json = Record<string, unknown>;

const FORMAT = 'plenary-e2e-tally/1';
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const B = ristretto255.Point.BASE;
const O = ristretto255.Point.ZERO;
const HEX64 = /^[0-9a-f]{64}$/;

class Bad extends Error {}

// ---------------------------------------------------------------- encodings

const md = (a: bigint): bigint => ((a % L) + L) % L;

function sc(hex: unknown): bigint {
  if (typeof hex !== 'string' || !HEX64.test(hex)) throw new Bad('a scalar is 64 lowercase hex digits');
  const v = BigInt('0x' + Buffer.from(hex, 'hex').reverse().toString('hex'));
  if (v >= L) throw new Bad('a scalar is below the group order');
  return v;
}

function pt(hex: unknown): P {
  if (typeof hex !== 'string' || !HEX64.test(hex)) throw new Bad('a point is 64 lowercase hex digits');
  try {
    return ristretto255.Point.fromHex(hex);
  } catch {
    throw new Bad('not a canonical ristretto255 point');
  }
}

const hx = (p: P): string => p.toHex();
const times = (p: P, k: bigint): P => (md(k) === 0n ? O : p.multiplyUnsafe(md(k)));
const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

// ---------------------------------------------------------------- the hash (RFC 9380 5.3.1, SHA-512)

function xmd(msg: Buffer, dst: Buffer): Buffer {
  const dstPrime = Buffer.concat([dst, Buffer.from([dst.length])]);
  const b0 = createHash('sha512')
    .update(Buffer.concat([Buffer.alloc(128), msg, Buffer.from([0, 64]), Buffer.from([0]), dstPrime]))
    .digest();
  return createHash('sha512')
    .update(Buffer.concat([b0, Buffer.from([1]), dstPrime]))
    .digest();
}

function H(kind: string, statement: unknown[]): bigint {
  const u = xmd(Buffer.from(JSON.stringify(statement), 'utf8'), Buffer.from(`plenary-e2e/1/${kind}`, 'utf8'));
  return md(BigInt('0x' + Buffer.from(u).reverse().toString('hex')));
}

// ---------------------------------------------------------------- proofs (section 4)

function partsOf(proof: unknown, n: number): { c: bigint; z: bigint }[] {
  if (!Array.isArray(proof) || proof.length !== n) throw new Bad(`a proof of ${n} parts`);
  return proof.map((p: { c?: unknown; z?: unknown }) => ({ c: sc(p?.c), z: sc(p?.z) }));
}

function member(ctx: string[], y: P, a: P, b: P, values: bigint[], proof: unknown): boolean {
  const ps = partsOf(proof, values.length);
  const commits = values.map((m, i) => {
    const { c, z } = ps[i]!;
    return [hx(times(B, z).subtract(times(a, c))), hx(times(y, z).subtract(times(b.subtract(times(B, m)), c)))];
  });
  const c = H('member', [ctx, hx(y), hx(a), hx(b), values.map(String), commits]);
  return md(ps.reduce((s, p) => s + p.c, 0n)) === c;
}

function dleq(ctx: string[], x: P, h: P, z: P, proof: unknown): boolean {
  const [p] = partsOf([proof], 1);
  const a = times(B, p!.z).subtract(times(x, p!.c));
  const b = times(h, p!.z).subtract(times(z, p!.c));
  return H('dleq', [ctx, hx(x), hx(h), hx(z), hx(a), hx(b)]) === p!.c;
}

function schnorr(ctx: string[], x: P, proof: unknown): boolean {
  const [p] = partsOf([proof], 1);
  return H('schnorr', [ctx, hx(x), hx(times(B, p!.z).subtract(times(x, p!.c)))]) === p!.c;
}

// ---------------------------------------------------------------- tellers (section 6)

interface Share {
  to: number;
  ephemeral: string;
  ciphertext: string;
}
interface Dealing {
  index: number;
  commitments: string[];
  proof: unknown;
  shares: Share[];
}
interface Identity {
  index: number;
  publicKey: string;
  proof: unknown;
}
interface Complaint {
  accuser: number;
  accused: number;
  sharedPoint: string;
  proof: unknown;
}

/** sum_j l^j C_j */
function image(commitments: P[], l: number): P {
  return commitments.reduce((acc, c, j) => acc.add(times(c, BigInt(l) ** BigInt(j))), O);
}

function dealingOk(base: string[], d: Dealing, k: number, indices: number[]): boolean {
  if (!Array.isArray(d.commitments) || d.commitments.length !== k || !Array.isArray(d.shares)) return false;
  const to = d.shares.map((s) => s.to).sort((x, y) => x - y);
  if (to.join() !== [...indices].sort((x, y) => x - y).join()) return false;
  const ctx = [
    ...base,
    'teller',
    String(d.index),
    'dealing',
    ...d.commitments,
    ...d.shares.flatMap((s) => [String(s.to), s.ephemeral, s.ciphertext]),
  ];
  return schnorr(ctx, pt(d.commitments[0]), d.proof);
}

/** The share a complaint opens, or null when it does not decrypt. */
function openShare(base: string[], d: Dealing, share: Share, k: P, recipient: string): bigint | null {
  const info = Buffer.from(JSON.stringify([base, String(d.index), String(share.to), share.ephemeral, recipient]));
  const okm = Buffer.from(hkdfSync('sha256', Buffer.from(k.toBytes()), Buffer.from('plenary-e2e/1/share'), info, 44));
  const ct = Buffer.from(share.ciphertext, 'hex');
  if (ct.length !== 48 || !/^[0-9a-f]*$/.test(share.ciphertext)) return null;
  try {
    const dec = createDecipheriv('aes-256-gcm', okm.subarray(0, 32), okm.subarray(32));
    dec.setAuthTag(ct.subarray(32));
    const plain = Buffer.concat([dec.update(ct.subarray(0, 32)), dec.final()]);
    return sc(plain.toString('hex'));
  } catch {
    return null;
  }
}

function complaintHolds(base: string[], c: Complaint, accuser: Identity, d: Dealing): boolean {
  const share = d.shares.find((s) => s.to === c.accuser);
  if (!share) return true;
  const k = pt(c.sharedPoint);
  const ctx = [...base, 'teller', String(c.accuser), 'complaint', String(c.accused)];
  if (!dleq(ctx, pt(accuser.publicKey), pt(share.ephemeral), k, c.proof)) return false;
  const s = openShare(base, d, share, k, accuser.publicKey);
  return s === null || !times(B, s).equals(image(d.commitments.map(pt), c.accuser));
}

function lagrange(indices: number[], l: number): bigint {
  let num = 1n;
  let den = 1n;
  for (const m of indices)
    if (m !== l) {
      num = md(num * BigInt(m));
      den = md(den * BigInt(m - l));
    }
  // den^(L-2) mod L: L is prime.
  let inv = 1n;
  let base = den;
  for (let e = L - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) inv = md(inv * base);
    base = md(base * base);
  }
  return md(num * inv);
}

// ---------------------------------------------------------------- ballots (section 5)

interface Group {
  id: string;
  options: string[];
  min: number;
  max: number;
}

function bitsOf(a: number): number {
  return a.toString(2).length;
}

/** The ballot's option ciphertexts [a, b] if every proof holds, else the reason it fails. */
function checkBallot(
  ctx: string[],
  shape: { options: string[]; groups: Group[] },
  y: P,
  weight: number,
  split: boolean,
  ballot: Json,
): [P, P][] | string {
  const options = ballot.options as Json[];
  const groups = ballot.groups as Json[];
  if (!Array.isArray(options) || options.length !== shape.options.length) return 'not the shape of the options';
  if (!Array.isArray(groups) || groups.length !== shape.groups.length) return 'not the shape of the groups';
  const w = BigInt(weight);
  const cts = new Map<string, [P, P]>();
  for (const [i, id] of shape.options.entries()) {
    const o = options[i]!;
    if (o?.id !== id) return `option ${i} is not ${id}`;
    if (!split) {
      const ct = o.ct as Json;
      if (o.bits !== undefined || !ct) return `option ${id}: not a choice option`;
      const [a, b] = [pt(ct.a), pt(ct.b)];
      if (!member([...ctx, 'option', id], y, a, b, [0n, w], o.proof)) return `option ${id}: proof`;
      cts.set(id, [a, b]);
    } else {
      const bits = o.bits as Json[];
      if (o.ct !== undefined || !Array.isArray(bits) || bits.length !== bitsOf(weight))
        return `option ${id}: not ${bitsOf(weight)} bits`;
      let acc: [P, P] = [O, O];
      for (const [j, bit] of bits.entries()) {
        const ct = bit.ct as Json;
        const [a, b] = [pt(ct?.a), pt(ct?.b)];
        if (!member([...ctx, 'option', id, 'bit', String(j)], y, a, b, [0n, 1n], bit.proof))
          return `option ${id}: proof of bit ${j}`;
        const f = 2n ** BigInt(j);
        acc = [acc[0].add(times(a, f)), acc[1].add(times(b, f))];
      }
      cts.set(id, acc);
    }
  }
  for (const [i, g] of shape.groups.entries()) {
    if (groups[i]?.id !== g.id) return `group ${i} is not ${g.id}`;
    if (split && (g.min !== 1 || g.max !== 1)) return `group ${g.id}: a split needs {1, 1}`;
    const [a, b] = g.options.reduce<[P, P]>(
      (acc, o) => [acc[0].add(cts.get(o)![0]), acc[1].add(cts.get(o)![1])],
      [O, O],
    );
    const values: bigint[] = [];
    for (let k = g.min; k <= g.max; k++) values.push(BigInt(k) * w);
    if (!member([...ctx, 'group', g.id], y, a, b, values, groups[i]!.proof)) return `group ${g.id}: proof`;
  }
  return shape.options.map((o) => cts.get(o)!);
}

function checkShape(shape: unknown): { options: string[]; groups: Group[] } {
  const s = shape as { options?: unknown; groups?: unknown };
  if (!Array.isArray(s?.options) || !s.options.every((o) => typeof o === 'string') || !Array.isArray(s.groups))
    throw new Bad('shape: {options, groups}');
  if (new Set(s.options).size !== s.options.length) throw new Bad('shape: option ids repeat');
  for (const g of s.groups as Group[])
    if (
      typeof g?.id !== 'string' ||
      !Array.isArray(g.options) ||
      !g.options.every((o) => (s.options as string[]).includes(o)) ||
      !int(g.min) ||
      !int(g.max) ||
      g.max < g.min
    )
      throw new Bad(`shape: group ${String(g?.id)}`);
  return s as { options: string[]; groups: Group[] };
}

// ---------------------------------------------------------------- the record (section 7)

export interface E2eOptions {
  /** The electorate's weights by seat: each ballot's weight must be its seat's. */
  electorate?: ReadonlyMap<string, number>;
}

function run(name: string, out: Check[], f: () => string | undefined): boolean {
  try {
    const detail = f();
    out.push(detail === undefined ? { ok: true, name } : { ok: false, name, detail });
  } catch (err) {
    out.push({ ok: false, name, detail: err instanceof Bad ? err.message : `malformed: ${(err as Error).message}` });
  }
  return out.at(-1)!.ok;
}

export function verifyE2eTally(record: Json, opts: E2eOptions = {}): Check[] {
  const out: Check[] = [];
  if (record.format !== FORMAT) return [{ ok: false, name: 'format', detail: `expected ${FORMAT}` }];
  const base = record.context as string[];
  if (!Array.isArray(base) || !base.every((s) => typeof s === 'string'))
    return [{ ok: false, name: 'format', detail: 'context is an array of strings' }];
  let shape!: { options: string[]; groups: Group[] };
  if (!run('shape', out, () => void (shape = checkShape(record.shape)))) return out;

  const t = record.tellers as {
    threshold: number;
    identities: Identity[];
    dealings: Dealing[];
    complaints: Complaint[];
    qualified: number[];
  };
  const qualified: number[] = [];
  let y!: P;
  const ok1 = run('tellers and the key ceremony', out, () => {
    if (!t || !int(t.threshold) || t.threshold < 1) return 'threshold';
    const ids = t.identities;
    const indices = ids.map((i) => i.index);
    if (new Set(indices).size !== ids.length || !indices.every((i) => int(i) && i >= 1)) return 'teller indices';
    if (t.threshold > ids.length) return 'the threshold is above the number of tellers';
    for (const i of ids)
      if (!schnorr([...base, 'teller', String(i.index), 'identity'], pt(i.publicKey), i.proof))
        return `teller ${i.index}: identity proof`;
    if (t.dealings.length !== ids.length || !ids.every((i) => t.dealings.some((d) => d.index === i.index)))
      return 'one dealing per teller';
    for (const d of t.dealings) if (!dealingOk(base, d, t.threshold, indices)) return `teller ${d.index}: dealing`;
    for (const i of ids) {
      const against = t.complaints.filter((c) => c.accused === i.index);
      const holds = against.some((c) => {
        const accuser = ids.find((x) => x.index === c.accuser);
        return (
          accuser !== undefined &&
          complaintHolds(
            base,
            c,
            accuser,
            t.dealings.find((d) => d.index === i.index)!,
          )
        );
      });
      if (!holds) qualified.push(i.index);
    }
    if (qualified.join() !== [...t.qualified].sort((a, b) => a - b).join() || qualified.length !== t.qualified.length)
      return `qualified is [${t.qualified.join(', ')}], the complaints give [${qualified.join(', ')}]`;
    if (qualified.length < t.threshold) return 'fewer qualified tellers than the threshold';
    return undefined;
  });
  if (!ok1) return out;
  const dealingOf = (i: number) => t.dealings.find((d) => d.index === i)!;
  const ok2 = run('joint public key', out, () => {
    y = qualified.reduce((acc, i) => acc.add(pt(dealingOf(i).commitments[0])), O);
    return hx(y) === record.publicKey ? undefined : 'publicKey is not the sum of the qualified constant terms';
  });
  if (!ok2) return out;

  const ballots = record.ballots as { seatId: string; weight: number; split: boolean; tracker: string; ballot: Json }[];
  let sum: [P, P][] = shape.options.map(() => [O, O]);
  let bound = 0;
  const ok3 = run('ballots', out, () => {
    if (!Array.isArray(ballots)) return 'ballots is a list';
    const seen = new Set<string>();
    const bad: string[] = [];
    for (const b of ballots) {
      const where = `seat ${String(b?.seatId)}`;
      if (typeof b?.seatId !== 'string' || seen.has(b.seatId)) {
        bad.push(`${where}: missing or twice`);
        continue;
      }
      seen.add(b.seatId);
      if (!int(b.weight) || b.weight < 1 || typeof b.split !== 'boolean') {
        bad.push(`${where}: weight or split`);
        continue;
      }
      const expected = opts.electorate?.get(b.seatId);
      if (opts.electorate && expected !== b.weight) {
        bad.push(`${where}: weight ${b.weight}, the electorate says ${String(expected)}`);
        continue;
      }
      const json = canonicalize(b.ballot);
      if (json === undefined || createHash('sha256').update(json).digest('hex') !== b.tracker) {
        bad.push(`${where}: tracker`);
        continue;
      }
      let cts: [P, P][] | string;
      try {
        cts = checkBallot([...base, 'seat', b.seatId], shape, y, b.weight, b.split, b.ballot);
      } catch (err) {
        cts = err instanceof Bad ? err.message : 'malformed';
      }
      if (typeof cts === 'string') {
        bad.push(`${where}: ${cts}`);
        continue;
      }
      sum = sum.map(([a, c], i) => [a.add(cts[i]![0]), c.add(cts[i]![1])]);
      bound += b.weight;
    }
    return bad.length ? bad.slice(0, 5).join('; ') + (bad.length > 5 ? ` (+${bad.length - 5})` : '') : undefined;
  });
  if (!ok3) return out;
  if (out.at(-1)) out.at(-1)!.detail = `${ballots.length} ballots, every proof verified`;

  const aggregate = record.aggregate as { a: string; b: string }[];
  const ok4 = run('aggregate', out, () => {
    if (!Array.isArray(aggregate) || aggregate.length !== shape.options.length) return 'one ciphertext per option';
    const bad = shape.options.filter(
      (_, i) => aggregate[i]?.a !== hx(sum[i]![0]) || aggregate[i]?.b !== hx(sum[i]![1]),
    );
    return bad.length ? `differs from the sum of the ballots for ${bad.join(', ')}` : undefined;
  });
  if (!ok4) return out;

  const partials = record.partials as { index: number; factors: { d: string; proof: unknown }[] }[];
  const ok5 = run('partial decryptions', out, () => {
    if (!Array.isArray(partials)) return 'partials is a list';
    const seen = new Set<number>();
    for (const p of partials) {
      if (!qualified.includes(p?.index) || seen.has(p.index))
        return `teller ${String(p?.index)}: not qualified, or twice`;
      seen.add(p.index);
      const yl = qualified.reduce((acc, i) => acc.add(image(dealingOf(i).commitments.map(pt), p.index)), O);
      if (!Array.isArray(p.factors) || p.factors.length !== shape.options.length) return `teller ${p.index}: factors`;
      for (const [o, f] of p.factors.entries())
        if (!dleq([...base, 'teller', String(p.index), 'partial', String(o)], yl, sum[o]![0], pt(f.d), f.proof))
          return `teller ${p.index}, option ${shape.options[o]}: proof of decryption`;
    }
    return seen.size < t.threshold ? `${seen.size} tellers decrypted, ${t.threshold} are needed` : undefined;
  });
  if (!ok5) return out;

  run('totals', out, () => {
    const totals = record.totals as Record<string, unknown>;
    if (typeof totals !== 'object' || totals === null) return 'totals';
    if (Object.keys(totals).sort().join() !== [...shape.options].sort().join()) return 'one total per option';
    const chosen = [...partials].sort((a, b) => a.index - b.index).slice(0, t.threshold);
    const indices = chosen.map((p) => p.index);
    for (const [o, id] of shape.options.entries()) {
      const v = totals[id];
      if (!int(v) || v > bound) return `${id}: ${String(v)} is not an integer in [0, ${bound}]`;
      const d = chosen.reduce((acc, p) => acc.add(times(pt(p.factors[o]!.d), lagrange(indices, p.index))), O);
      if (!sum[o]![1].subtract(d).equals(times(B, BigInt(v)))) return `${id}: ${v} is not what the tellers decrypted`;
    }
    return undefined;
  });
  return out;
}
