/**
 * The independent verifier of Plenary records (docs/record-format.md). It imports nothing
 * from the service: canonical JSON (RFC 8785, the `canonicalize` package), SHA-256, the
 * RFC 9162 Merkle tree, the hash chain, the recount and the majority rule are written again
 * here, from the documented format, so that a bug in the service is not silently shared.
 * Only the JWKS is trusted.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { verifyE2eTally } from './verify-e2e.js';

export interface Check {
  ok: boolean;
  name: string;
  detail?: string;
}

export interface Jwks {
  keys: JWK[];
}

type Json = Record<string, unknown>;

const GENESIS = '0'.repeat(64);
const FORMAT_1 = 'plenary-vote-record/1';
const FORMAT_2 = 'plenary-vote-record/2';
const HEX64 = /^[0-9a-f]{64}$/;

// ---------------------------------------------------------------- hashing

function canon(value: unknown): string {
  const s = canonicalize(value);
  if (s === undefined) throw new TypeError('value has no JSON form');
  return s;
}

function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}

export function leafHashHex(leaf: unknown): string {
  return sha256(Buffer.concat([Buffer.from([0]), Buffer.from(canon(leaf), 'utf8')])).toString('hex');
}

function node(left: Buffer, right: Buffer): Buffer {
  return sha256(Buffer.concat([Buffer.from([1]), left, right]));
}

/** Largest power of two strictly smaller than n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) of RFC 9162 2.1.1, by its recursive definition. */
function mth(leaves: Buffer[], lo: number, hi: number): Buffer {
  const n = hi - lo;
  if (n === 0) return sha256(Buffer.alloc(0));
  if (n === 1) return leaves[lo]!;
  const k = split(n);
  return node(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi));
}

export function merkleRootHex(receipts: readonly string[]): string {
  return mth(
    receipts.map((r) => Buffer.from(r, 'hex')),
    0,
    receipts.length,
  ).toString('hex');
}

/** PATH(m, D[n]) of RFC 9162 2.1.3.1, recursively. */
function path(leaves: Buffer[], m: number, lo: number, hi: number): Buffer[] {
  const n = hi - lo;
  if (n <= 1) return [];
  const k = split(n);
  if (m < k) return [...path(leaves, m, lo, lo + k), mth(leaves, lo + k, hi)];
  return [...path(leaves, m - k, lo + k, hi), mth(leaves, lo, lo + k)];
}

export function inclusionProofHex(receipts: readonly string[], index: number): string[] {
  const leaves = receipts.map((r) => Buffer.from(r, 'hex'));
  return path(leaves, index, 0, leaves.length).map((b) => b.toString('hex'));
}

/** RFC 9162 2.1.3.2. */
export function verifyInclusionHex(leaf: string, index: number, size: number, proof: unknown, root: string): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (!HEX64.test(leaf) || !HEX64.test(root) || !Array.isArray(proof)) return false;
  if (!proof.every((p) => typeof p === 'string' && HEX64.test(p))) return false;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf, 'hex');
  for (const p of proof as string[]) {
    if (sn === 0) return false;
    const ph = Buffer.from(p, 'hex');
    if (fn % 2 === 1 || fn === sn) {
      r = node(ph, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = node(r, ph);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.toString('hex') === root;
}

export function entryContentHash(e: Json): string {
  const { conferenceId, seq, type, actor, at, data } = e;
  return sha256(canon({ conferenceId, seq, type, actor, at, data })).toString('hex');
}

export function entryHashHex(prevHash: string, contentHash: string): string {
  return sha256(`${prevHash}:${contentHash}`).toString('hex');
}

// ---------------------------------------------------------------- signature

function withoutSignature(data: Json): Json {
  const { signature: _signature, ...rest } = data;
  return rest;
}

/**
 * A published key may carry its validity window as JWT NumericDate members (`nbf`, `exp`,
 * seconds since 1970). A signature is dated by what it signs (a vote's `closedAt`, an
 * export's `exportedAt`); one dated outside its key's window is refused, so a retired key
 * that leaked cannot sign a record dated after its retirement. A key without a window
 * (records and JWKS made before windows were published) is not limited.
 */
function outsideKeyWindow(jwk: JWK, data: Json): string | undefined {
  const { nbf, exp } = jwk as { nbf?: unknown; exp?: unknown };
  if (nbf === undefined && exp === undefined) return undefined;
  if ((nbf !== undefined && typeof nbf !== 'number') || (exp !== undefined && typeof exp !== 'number'))
    return 'the key has a malformed validity window (nbf, exp)';
  const dated = data.closedAt ?? data.exportedAt;
  const at = typeof dated === 'string' ? Date.parse(dated) : NaN;
  if (Number.isNaN(at)) return 'the key has a validity window, but the signed data carries no date';
  if (nbf !== undefined && at < nbf * 1000)
    return `signed at ${String(dated)}, before its key's window opens (nbf ${new Date(nbf * 1000).toISOString()})`;
  if (exp !== undefined && at > exp * 1000)
    return `signed at ${String(dated)}, after its key's window closed (exp ${new Date(exp * 1000).toISOString()})`;
  return undefined;
}

async function checkSignature(name: string, data: Json, jwks: Jwks | null): Promise<Check> {
  const sig = data.signature as { kid?: unknown; jws?: unknown } | undefined;
  if (!sig || typeof sig.jws !== 'string' || typeof sig.kid !== 'string')
    return { ok: false, name, detail: 'no signature' };
  if (!jwks) return { ok: false, name, detail: 'no JWKS to check it against (pass --jwks)' };
  try {
    const header = decodeProtectedHeader(sig.jws);
    if (header.alg !== 'EdDSA') return { ok: false, name, detail: `unexpected alg ${String(header.alg)}` };
    if (header.kid !== sig.kid) return { ok: false, name, detail: 'kid of the JWS header differs from signature.kid' };
    const jwk = jwks.keys.find((k) => k.kid === sig.kid);
    if (!jwk) return { ok: false, name, detail: `kid ${sig.kid} is not in the JWKS` };
    const outside = outsideKeyWindow(jwk, data);
    if (outside) return { ok: false, name, detail: outside };
    const key = await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA');
    const { payload } = await compactVerify(sig.jws, key, { algorithms: ['EdDSA'] });
    const expected = canon(withoutSignature(data));
    if (new TextDecoder().decode(payload) !== expected) {
      return { ok: false, name, detail: 'the signed payload differs from the entry data' };
    }
    return { ok: true, name, detail: `EdDSA, kid ${sig.kid}` };
  } catch (err) {
    return { ok: false, name, detail: `signature invalid: ${(err as Error).message}` };
  }
}

// ---------------------------------------------------------------- counting and the rule

interface Totals {
  yes: number;
  no: number;
  abstain: number;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** The rule's outcome by integer cross-multiplication (BigInt: base * p may pass 2^53). */
export function decideOutcome(
  totals: Totals,
  entitled: number,
  present: number,
  majority: Json,
  quorum: Json | null,
): { outcome: string; required: number; quorumRequired: number; quorumMet: boolean; baseWeight: number } {
  let p: number;
  let q: number;
  switch (majority.rule) {
    case 'simple':
      [p, q] = [1, 2];
      break;
    case 'two_thirds':
      [p, q] = [2, 3];
      break;
    case 'three_fifths':
      [p, q] = [3, 5];
      break;
    case 'fraction':
      if (!isCount(majority.numerator) || !isCount(majority.denominator)) throw new Error('bad fraction');
      [p, q] = [majority.numerator, majority.denominator];
      if (p <= 0 || p > q) throw new Error('bad fraction');
      break;
    default:
      throw new Error(`unknown rule ${String(majority.rule)}`);
  }
  // A half is "more than half"; every other share is "at least".
  const strict = 2 * p === q;
  const cast = totals.yes + totals.no + totals.abstain;
  const bases: Record<string, number> = {
    yes_no: totals.yes + totals.no,
    cast,
    present,
    entitled,
  };
  const baseWeight = bases[String(majority.base)];
  if (baseWeight === undefined) throw new Error(`unknown base ${String(majority.base)}`);
  const product = BigInt(baseWeight) * BigInt(p);
  const threshold = strict ? product / BigInt(q) + 1n : ceilDiv(product, BigInt(q));
  const required = Math.max(1, Number(threshold));
  let quorumRequired = 0;
  if (quorum) {
    if (!isCount(quorum.numerator) || !isCount(quorum.denominator) || quorum.denominator === 0)
      throw new Error('bad quorum');
    quorumRequired = Number(ceilDiv(BigInt(entitled) * BigInt(quorum.numerator), BigInt(quorum.denominator)));
  }
  const quorumMet = cast >= quorumRequired;
  const outcome = !quorumMet ? 'no_quorum' : totals.yes >= required && totals.yes > totals.no ? 'adopted' : 'rejected';
  return { outcome, required, quorumRequired, quorumMet, baseWeight };
}

interface Seat {
  seatId: string;
  delegationId: string;
  delegationName?: string;
  delegateId: string | null;
  weight: number;
  present: boolean;
  castableById: string | null;
}

interface Acc {
  delegationId: string;
  name: string | undefined;
  yes: number;
  no: number;
  abstain: number;
  notVoting: number;
  entitled: number;
  voters: number;
}

function same(a: unknown, b: unknown): boolean {
  try {
    return canon(a) === canon(b);
  } catch {
    return false;
  }
}

function diff(what: string, claimed: unknown, recount: unknown): string {
  return `${what}: record says ${JSON.stringify(claimed)}, recount gives ${JSON.stringify(recount)}`;
}

// ---------------------------------------------------------------- a vote record

export interface RecordOptions {
  /** Prefix of every check name (the vote, inside an export). */
  label?: string;
  receipt?: string;
}

export async function verifyRecord(record: Json, jwks: Jwks | null, opts: RecordOptions = {}): Promise<Check[]> {
  const checks: Check[] = [];
  const label = opts.label ? `${opts.label}: ` : '';
  const add = (ok: boolean, name: string, detail?: string) =>
    checks.push({ ok, name: label + name, ...(detail !== undefined ? { detail } : {}) });
  const fail = (name: string, detail: string) => add(false, name, detail);

  const vote = (record.vote ?? {}) as Json;
  const ev = record.closedEvent as Json | null | undefined;
  if (record.format !== FORMAT_1 && record.format !== FORMAT_2)
    fail('record format', `unknown format ${String(record.format)}`);
  if (!ev || typeof ev !== 'object' || vote.state !== 'closed') {
    fail('vote is closed and sealed', 'the record has no vote.closed entry: nothing is signed yet');
    return checks;
  }
  const data = (ev.data ?? {}) as Json;
  // Format 2 (docs/record-format.md) signs its own format; a format-1 entry has none. A record
  // cannot claim the other format than the one its signed entry was sealed in.
  const v2 = data.format === FORMAT_2;
  if (record.format !== (v2 ? FORMAT_2 : FORMAT_1))
    fail(
      'record format',
      `the record says ${String(record.format)}, its signed vote.closed entry ${v2 ? FORMAT_2 : FORMAT_1}`,
    );

  // 1. The chain entry recomputes and is the one the record points at.
  {
    const problems: string[] = [];
    if (ev.type !== 'vote.closed') problems.push(`entry type ${String(ev.type)}`);
    if (ev.conferenceId !== vote.conferenceId) problems.push('entry of another conference');
    let ch = '';
    try {
      ch = entryContentHash(ev);
    } catch (e) {
      problems.push(`content cannot be hashed: ${(e as Error).message}`);
    }
    if (ch !== ev.contentHash) problems.push('contentHash does not match the entry content');
    if (typeof ev.prevHash !== 'string' || !HEX64.test(ev.prevHash)) problems.push('prevHash malformed');
    else if (entryHashHex(ev.prevHash, String(ev.contentHash)) !== ev.hash)
      problems.push('hash does not match prevHash:contentHash');
    const chain = (record.chain ?? {}) as Json;
    if (
      !same(chain, { seq: ev.seq, prevHash: ev.prevHash, contentHash: ev.contentHash, hash: ev.hash }) ||
      chain.seq === undefined
    )
      problems.push('chain position differs from the entry');
    add(
      problems.length === 0,
      'vote.closed chain entry recomputes',
      problems.join('; ') || `seq ${String(ev.seq)}, hash ${String(ev.hash).slice(0, 16)}…`,
    );
  }

  // 2. The signature.
  checks.push({ ...(await checkSignature('', data, jwks)), name: `${label}signature of the vote.closed entry` });

  // 3. What the record states is what was signed.
  {
    const problems: string[] = [];
    const pairs: [string, unknown, unknown][] = [
      ['voteId', vote.id, data.voteId],
      ['title', vote.title, data.title],
      ['subject', vote.subject, data.subject],
      ['mode', vote.mode, data.mode],
      ['weighting', vote.weighting, data.weighting],
      ['majority', vote.majority, data.majority],
      ['quorum', vote.quorum, data.quorum],
      ['allowChange', vote.allowChange, data.allowChange],
      ['openedAt', vote.openedAt, data.openedAt],
      ['closedAt', vote.closedAt, data.closedAt],
      ['merkleRoot', record.merkleRoot, data.merkleRoot],
      ['ballotCount', record.ballotCount, data.ballotCount],
      ['electorateHash', (record.electorate as Json | undefined)?.hash, data.electorateHash],
      ['leafOrder', record.leafOrder, data.leafOrder],
      ['totals', record.totals, data.totals],
      ['byDelegation', record.byDelegation, data.byDelegation],
      ['result', record.result, data.result],
      ['signature', record.signature, data.signature],
    ];
    for (const [name, stated, signed] of pairs) if (!same(stated, signed)) problems.push(name);
    if (data.leafOrder !== 'receipt-asc') problems.push(`leaf order ${String(data.leafOrder)} is not receipt-asc`);
    const question = vote.question;
    const qh = typeof question === 'string' ? sha256(question).toString('hex') : null;
    if (vote.questionSha256 !== qh) problems.push('questionSha256 is not the SHA-256 of the question');
    if ('questionSha256' in data && data.questionSha256 !== qh) problems.push('signed questionSha256');
    if (v2) {
      // Format 2 signs these; a format-1 entry did not (its question was not signed).
      if (!('questionSha256' in data)) problems.push('questionSha256 is not signed');
      if (data.conferenceId !== vote.conferenceId) problems.push('conferenceId');
      if (data.resultsVisibility !== vote.resultsVisibility) problems.push('resultsVisibility');
      if (!same(data.chain, { seq: ev.seq, prevHash: ev.prevHash }))
        problems.push("the signed chain position (seq, prevHash) is not the entry's");
      if (vote.mode !== 'roll_call' && data.resultsVisibility !== 'after_close')
        problems.push('a secret vote with a live tally');
      const participation = vote.mode !== 'roll_call' ? record.participation : null;
      let ph: string | null = null;
      try {
        ph = participation === null ? null : sha256(canon(participation ?? [])).toString('hex');
      } catch {
        ph = 'unhashable';
      }
      if (data.participationSha256 !== ph) problems.push('participation differs from the signed participationSha256');
    }
    if (vote.mode === 'secret_e2e') problems.push(...signedE2eProblems(record, data));
    add(
      problems.length === 0,
      'record matches the signed entry',
      problems.length ? `differs: ${problems.join(', ')}` : undefined,
    );
  }

  // 4. The electorate.
  const seats = (((record.electorate as Json | undefined)?.seats ?? []) as Seat[]).slice();
  const seatById = new Map<string, Seat>();
  {
    const problems: string[] = [];
    for (const s of seats) {
      if (seatById.has(s.seatId)) problems.push(`seat ${s.seatId} twice`);
      if (!isCount(s.weight)) problems.push(`seat ${s.seatId} weight ${String(s.weight)}`);
      seatById.set(s.seatId, s);
    }
    const projected = seats
      .map((s) => ({
        seatId: s.seatId,
        delegationId: s.delegationId,
        delegateId: s.delegateId,
        weight: s.weight,
        present: s.present,
        castableById: s.castableById,
      }))
      .sort((a, b) => (a.seatId < b.seatId ? -1 : a.seatId > b.seatId ? 1 : 0));
    let h = '';
    try {
      h = sha256(canon(projected)).toString('hex');
    } catch (e) {
      problems.push((e as Error).message);
    }
    if (h !== data.electorateHash) problems.push('hash of the seats differs from the signed electorateHash');
    add(
      problems.length === 0,
      `electorate snapshot hashes to the signed hash (${seats.length} seats)`,
      problems.join('; ') || undefined,
    );
  }

  // 5. Leaves: each receipt is its leaf's hash, each leaf is well formed and of this vote.
  // secret_e2e: the leaves are the e2e section's ballots {seatId, weight, tracker}, whose
  // ciphertexts and proofs scripts/verify-e2e.ts checks; no leaf holds a choice.
  const e2eMode = vote.mode === 'secret_e2e';
  const secret = vote.mode !== 'roll_call';
  const items = (
    e2eMode ? e2eItems(record, String(vote.id)) : ((secret ? record.secretLeaves : record.ballots) ?? [])
  ) as {
    receipt: string;
    leaf: Json;
    superseded?: boolean;
  }[];
  const openedAt = typeof vote.openedAt === 'string' ? Date.parse(vote.openedAt) : NaN;
  const closedAt = typeof vote.closedAt === 'string' ? Date.parse(vote.closedAt) : NaN;
  const latest = new Map<string, Json>();
  if (e2eMode) {
    checks.push(...e2eChecks(record, String(vote.id), seats, items, label));
  } else {
    const problems: string[] = [];
    const receipts = new Set<string>();
    const seatRevisions = new Set<string>();
    for (const [i, item] of items.entries()) {
      const leaf = item.leaf ?? {};
      const where = `leaf ${i}`;
      let h = '';
      try {
        h = leafHashHex(leaf);
      } catch (e) {
        problems.push(`${where}: ${(e as Error).message}`);
      }
      if (h !== item.receipt) problems.push(`${where}: receipt is not the hash of the leaf`);
      if (receipts.has(item.receipt)) problems.push(`${where}: receipt twice`);
      receipts.add(item.receipt);
      if (leaf.voteId !== vote.id) problems.push(`${where}: leaf of another vote`);
      if (leaf.kind !== (secret ? 'secret_choice' : 'ballot')) problems.push(`${where}: kind ${String(leaf.kind)}`);
      if (!isCount(leaf.yes) || !isCount(leaf.no) || !isCount(leaf.abstain)) {
        problems.push(`${where}: counts are not non-negative integers`);
        continue;
      }
      if (secret) continue;
      const seat = seatById.get(String(leaf.seatId));
      if (!seat) {
        problems.push(`${where}: seat ${String(leaf.seatId)} is not in the electorate`);
        continue;
      }
      if (leaf.weight !== seat.weight)
        problems.push(`${where}: weight ${String(leaf.weight)} but the seat holds ${seat.weight}`);
      if (leaf.yes + leaf.no + leaf.abstain > seat.weight) problems.push(`${where}: casts more than the seat holds`);
      if (!isCount(leaf.revision) || leaf.revision < 1) problems.push(`${where}: revision ${String(leaf.revision)}`);
      const sr = `${String(leaf.seatId)}#${String(leaf.revision)}`;
      if (seatRevisions.has(sr)) problems.push(`${where}: seat and revision twice`);
      seatRevisions.add(sr);
      const at = typeof leaf.castAt === 'string' ? Date.parse(leaf.castAt) : NaN;
      if (!(at >= openedAt && at <= closedAt))
        problems.push(`${where}: cast at ${String(leaf.castAt)}, outside the vote's opening`);
      const cur = latest.get(seat.seatId);
      if (!cur || (leaf.revision as number) > (cur.revision as number)) latest.set(seat.seatId, leaf);
    }
    if (!secret && vote.allowChange !== true) {
      // Without changes, a seat has one ballot, or a paper ballot the chair entered and then
      // the one its delegate cast over it (revision 2, not on paper).
      const via = new Map(items.map((i) => [`${String(i.leaf.seatId)}#${String(i.leaf.revision)}`, i.leaf.castVia]));
      for (const item of items) {
        const rev = item.leaf.revision as number;
        if (rev <= 1) continue;
        const overPaper =
          rev === 2 && item.leaf.castVia !== 'paper' && via.get(`${String(item.leaf.seatId)}#1`) === 'paper';
        if (!overPaper) problems.push('a changed ballot in a vote that allows no change');
      }
    }
    if (!secret) {
      for (const item of items) {
        const l = latest.get(String(item.leaf.seatId));
        if (l && (l !== item.leaf) !== Boolean(item.superseded))
          problems.push(`superseded flag of ${item.receipt.slice(0, 12)}… is wrong`);
      }
    }
    add(
      problems.length === 0,
      `every leaf hashes to its receipt (${items.length} leaves)`,
      problems.length ? `${problems.length} problem(s): ${problems.slice(0, 5).join('; ')}` : undefined,
    );
  }

  // 6. Canonical order and the Merkle root.
  const receipts = items.map((i) => i.receipt);
  {
    let ordered = true;
    for (let i = 1; i < receipts.length; i++) if (!(receipts[i - 1]! < receipts[i]!)) ordered = false;
    add(ordered, 'leaves are listed in the canonical order (receipt ascending)', ordered ? undefined : 'out of order');
  }
  const sorted = [...receipts].filter((r) => typeof r === 'string' && HEX64.test(r)).sort();
  const root = sorted.length === receipts.length ? merkleRootHex(sorted) : '';
  add(
    root === data.merkleRoot && items.length === data.ballotCount,
    `Merkle root recomputed from ${items.length} leaves`,
    root === data.merkleRoot
      ? items.length === data.ballotCount
        ? root
        : `ballotCount ${String(data.ballotCount)} signed, ${items.length} leaves`
      : `recomputed ${root || '(bad receipts)'}, signed ${String(data.merkleRoot)}`,
  );

  // 7. The recount, overall and per delegation.
  const per = new Map<string, Acc>();
  const overall = { yes: 0, no: 0, abstain: 0, notVoting: 0, entitled: 0, present: 0, voters: 0 };
  const accOf = (s: Seat): Acc => {
    let a = per.get(s.delegationId);
    if (!a) {
      a = {
        delegationId: s.delegationId,
        name: s.delegationName,
        yes: 0,
        no: 0,
        abstain: 0,
        notVoting: 0,
        entitled: 0,
        voters: 0,
      };
      per.set(s.delegationId, a);
    }
    return a;
  };
  const recountProblems: string[] = [];
  if (e2eMode) {
    // The choices come only from the tellers' decrypted totals, which verify-e2e checked
    // against the aggregate of the listed ballots; participation from the leaves.
    const took = new Set(items.map((i) => String(i.leaf.seatId)));
    const participants = new Set(((record.participation ?? []) as { seatId: string }[]).map((p) => p.seatId));
    if ([...took].sort().join() !== [...participants].sort().join() || participants.size !== took.size)
      recountProblems.push('the participation list is not the seats of the encrypted ballots');
    const t = ((record.e2e as Json | null | undefined)?.totals ?? {}) as Json;
    for (const k of ['yes', 'no', 'abstain'] as const) {
      if (!isCount(t[k])) recountProblems.push(`the e2e total ${k} is not a count`);
      else overall[k] = t[k];
    }
    for (const s of seats) {
      const a = accOf(s);
      a.entitled += s.weight;
      overall.entitled += s.weight;
      if (took.has(s.seatId)) {
        a.voters++;
        overall.voters++;
      }
      if (s.present || took.has(s.seatId)) overall.present += s.weight;
    }
    overall.notVoting = overall.entitled - (overall.yes + overall.no + overall.abstain);
    if (overall.notVoting < 0) recountProblems.push('more cast than entitled');
  } else if (!secret) {
    for (const s of seats) {
      const a = accOf(s);
      const b = latest.get(s.seatId);
      const y = b ? (b.yes as number) : 0;
      const n = b ? (b.no as number) : 0;
      const ab = b ? (b.abstain as number) : 0;
      for (const t of [a, overall]) {
        t.yes += y;
        t.no += n;
        t.abstain += ab;
        t.notVoting += s.weight - (y + n + ab);
        t.entitled += s.weight;
        if (b) t.voters++;
      }
      if (s.present || b) overall.present += s.weight;
    }
  } else {
    const participation = (record.participation ?? []) as { seatId: string }[];
    const took = new Set<string>();
    for (const p of participation) {
      if (!seatById.has(p.seatId)) recountProblems.push(`participant seat ${p.seatId} is not in the electorate`);
      if (took.has(p.seatId)) recountProblems.push(`seat ${p.seatId} took part twice`);
      took.add(p.seatId);
    }
    const participatingWeight = seats.filter((s) => took.has(s.seatId)).reduce((a, s) => a + s.weight, 0);
    if (v2) {
      // Format 2: one unit leaf per vote cast, at least one per participant, at most their weights.
      if (items.length < participation.length || items.length > participatingWeight)
        recountProblems.push(
          `${items.length} unit leaves for ${participation.length} participants holding ${participatingWeight} votes`,
        );
    } else if (participation.length !== items.length)
      recountProblems.push(`${items.length} secret choices for ${participation.length} participants`);
    const maxWeight = Math.max(0, ...seats.filter((s) => took.has(s.seatId)).map((s) => s.weight));
    for (const { leaf } of items) {
      overall.yes += leaf.yes as number;
      overall.no += leaf.no as number;
      overall.abstain += leaf.abstain as number;
      const cast = (leaf.yes as number) + (leaf.no as number) + (leaf.abstain as number);
      if (v2 && cast !== 1) recountProblems.push('a secret leaf that is not a single vote (format 2 leaves are units)');
      else if (cast > maxWeight) recountProblems.push('a secret choice casts more than any participating seat holds');
    }
    for (const s of seats) {
      const a = accOf(s);
      a.entitled += s.weight;
      overall.entitled += s.weight;
      if (took.has(s.seatId)) {
        a.voters++;
        overall.voters++;
      }
      if (s.present || took.has(s.seatId)) overall.present += s.weight;
    }
    overall.notVoting = overall.entitled - (overall.yes + overall.no + overall.abstain);
    if (overall.notVoting < 0) recountProblems.push('more cast than entitled');
  }
  {
    const t = (data.totals ?? {}) as Json;
    for (const k of Object.keys(overall) as (keyof typeof overall)[]) {
      if (t[k] !== overall[k]) recountProblems.push(diff(`total ${k}`, t[k], overall[k]));
    }
    const signedRows = (Array.isArray(data.byDelegation) ? data.byDelegation : []) as Json[];
    const seen = new Set<string>();
    for (const row of signedRows) {
      const id = String(row.delegationId);
      const mine = per.get(id);
      if (!mine) {
        recountProblems.push(`delegation ${id} is not in the electorate`);
        continue;
      }
      if (seen.has(id)) recountProblems.push(`delegation ${id} listed twice`);
      seen.add(id);
      const keys = secret
        ? (['entitled', 'voters'] as const)
        : (['yes', 'no', 'abstain', 'notVoting', 'entitled', 'voters'] as const);
      for (const k of keys)
        if (row[k] !== mine[k]) recountProblems.push(diff(`${mine.name ?? id} ${k}`, row[k], mine[k]));
      if (secret) {
        // Per-delegation choices of a secret vote cannot be known; a figure there would leak them.
        for (const k of ['yes', 'no', 'abstain', 'notVoting'])
          if (row[k] !== null && row[k] !== undefined)
            recountProblems.push(`${mine.name ?? id} ${k} is given in a secret vote`);
      }
      if ('name' in row && mine.name !== undefined && row.name !== mine.name)
        recountProblems.push(`${id} name differs`);
    }
    // A secret vote may publish no per-delegation rows at all (the engine does not).
    if (!(secret && signedRows.length === 0))
      for (const id of per.keys()) if (!seen.has(id)) recountProblems.push(`delegation ${id} has no total`);
  }
  add(
    recountProblems.length === 0,
    `recount of every total (overall and ${per.size} delegations)`,
    recountProblems.length
      ? `${recountProblems.length} mismatch(es): ${recountProblems.slice(0, 5).join('; ')}`
      : `yes ${overall.yes}, no ${overall.no}, abstain ${overall.abstain}, not voting ${overall.notVoting}`,
  );

  // 8. The rule's outcome from the recounted totals.
  try {
    const decided = decideOutcome(
      overall,
      overall.entitled,
      overall.present,
      (data.majority ?? {}) as Json,
      (data.quorum ?? null) as Json | null,
    );
    const r = (data.result ?? {}) as Json;
    const problems: string[] = [];
    for (const k of ['outcome', 'required', 'quorumRequired', 'quorumMet', 'baseWeight'] as const)
      if (r[k] !== decided[k]) problems.push(diff(k, r[k], decided[k]));
    add(
      problems.length === 0,
      "the rule's outcome from the recount",
      problems.length ? problems.join('; ') : `${decided.outcome} (${decided.required} yes required)`,
    );
  } catch (e) {
    fail("the rule's outcome from the recount", (e as Error).message);
  }

  if (opts.receipt) checks.push(...receiptInRecord(record, data, opts.receipt, label));
  return checks;
}

function receiptInRecord(record: Json, data: Json, receipt: string, label: string): Check[] {
  const vote = (record.vote ?? {}) as Json;
  const secret = vote.mode === 'secret';
  const e2eMode = vote.mode === 'secret_e2e';
  // secret_e2e: the voter holds the ballot's tracker; the tree's leaf is the one holding it.
  const e2eList = e2eMode ? (e2eItems(record, String(vote.id)) as { receipt: string; leaf: Json }[]) : [];
  const items = (e2eMode ? e2eList : ((secret ? record.secretLeaves : record.ballots) ?? [])) as { receipt: string }[];
  const sorted = items.map((i) => i.receipt).sort();
  const leafReceipt = e2eMode ? e2eList.find((i) => i.leaf.tracker === receipt)?.receipt : receipt;
  const index = leafReceipt === undefined ? -1 : sorted.indexOf(leafReceipt);
  const name = `${label}receipt ${receipt.slice(0, 16)}… is included`;
  if (index < 0) return [{ ok: false, name, detail: 'not among the sealed leaves' }];
  const proof = inclusionProofHex(sorted, index);
  const ok = verifyInclusionHex(sorted[index]!, index, sorted.length, proof, String(data.merkleRoot));
  return [
    { ok, name, detail: `leaf ${index} of ${sorted.length}, proof of ${proof.length} hashes against the signed root` },
  ];
}

// ---------------------------------------------------------------- a secret_e2e record

/** The leaves of a secret_e2e record: one per encrypted ballot of its e2e section. */
function e2eItems(record: Json, voteId: string): { receipt: string; leaf: Json }[] {
  const ballots = (record.e2e as Json | null | undefined)?.ballots;
  if (!Array.isArray(ballots)) return [];
  return (ballots as Json[]).map((b) => {
    const leaf = { kind: 'e2e_ballot', voteId, seatId: b?.seatId, weight: b?.weight, tracker: b?.tracker };
    let receipt = '';
    try {
      receipt = leafHashHex(leaf);
    } catch {
      /* a malformed ballot: its leaf cannot be hashed, and the root check fails */
    }
    return { receipt, leaf };
  });
}

const VOTE_SHAPE = {
  options: ['yes', 'no', 'abstain'],
  groups: [{ id: 'all', options: ['yes', 'no', 'abstain'], min: 1, max: 1 }],
};

/** What vote.closed signs of the e2e section (docs/record-format.md): it must be the section's. */
function signedE2eProblems(record: Json, data: Json): string[] {
  const e2e = record.e2e as Json | null | undefined;
  const signed = data.e2e as Json | undefined;
  if (!e2e || typeof e2e !== 'object') return ['a secret_e2e record without its e2e section'];
  if (!signed || typeof signed !== 'object') return ['the e2e section is not signed'];
  const problems: string[] = [];
  for (const k of ['format', 'context', 'publicKey', 'aggregate'])
    if (!same(e2e[k], signed[k])) problems.push(`e2e ${k}`);
  const t = (e2e.totals ?? {}) as Json;
  if (!same({ yes: t.yes, no: t.no, abstain: t.abstain }, signed.totals)) problems.push('e2e totals');
  return problems;
}

/**
 * A secret_e2e record's own checks: the tally record by scripts/verify-e2e.ts (every proof,
 * the aggregate, the tellers' decryptions, the totals), bound to this vote and its shape, and
 * its ballots exactly one per participating seat of the electorate with the seat's weight.
 */
function e2eChecks(
  record: Json,
  voteId: string,
  seats: Seat[],
  items: { receipt: string; leaf: Json }[],
  label: string,
): Check[] {
  const e2e = record.e2e as Json | null | undefined;
  if (!e2e || typeof e2e !== 'object')
    return [{ ok: false, name: `${label}e2e tally record`, detail: 'the record has no e2e section' }];
  const out: Check[] = [];
  const problems: string[] = [];
  if (!same(e2e.context, ['vote', voteId])) problems.push(`context ${JSON.stringify(e2e.context)} is not this vote's`);
  if (!same(e2e.shape, VOTE_SHAPE)) problems.push("the shape is not a vote's (yes, no, abstain; exactly one)");
  const seen = new Set<string>();
  for (const { leaf } of items) {
    const seat = seats.find((s) => s.seatId === leaf.seatId);
    if (!seat) problems.push(`ballot of seat ${String(leaf.seatId)}, not in the electorate`);
    else if (seat.weight !== leaf.weight) problems.push(`seat ${seat.seatId}: weight ${String(leaf.weight)}`);
    if (seen.has(String(leaf.seatId))) problems.push(`seat ${String(leaf.seatId)} has two ballots`);
    seen.add(String(leaf.seatId));
  }
  out.push({
    ok: problems.length === 0,
    name: `${label}e2e ballots are this vote's, one per seat with its weight (${items.length})`,
    ...(problems.length ? { detail: problems.slice(0, 5).join('; ') } : {}),
  });
  const electorate = new Map(seats.map((s) => [s.seatId, s.weight]));
  for (const c of verifyE2eTally(e2e, { electorate })) out.push({ ...c, name: `${label}e2e: ${c.name}` });
  return out;
}

// ---------------------------------------------------------------- a receipt answer

export async function verifyReceiptAnswer(answer: Json, jwks: Jwks | null, receipt?: string): Promise<Check[]> {
  const checks: Check[] = [];
  const r = String(answer.receipt);
  if (receipt !== undefined && receipt !== r)
    checks.push({ ok: false, name: 'receipt', detail: 'the answer is for another receipt' });
  if (answer.included !== true) {
    checks.push({ ok: false, name: 'receipt included', detail: 'the service says the receipt is not included' });
    return checks;
  }
  // secret_e2e: the receipt is the ballot's tracker, held by its leaf; the tree proves the leaf.
  const e2eLeaf = (answer.leaf as Json | undefined)?.kind === 'e2e_ballot' ? (answer.leaf as Json) : null;
  const leafHash = e2eLeaf ? leafHashHex(e2eLeaf) : r;
  if (e2eLeaf) {
    checks.push({ ok: e2eLeaf.tracker === r, name: "the leaf holds the receipt as its ballot's tracker" });
  } else if (answer.leaf !== undefined) {
    checks.push({ ok: leafHashHex(answer.leaf) === r, name: 'the leaf hashes to the receipt' });
  }
  const sig = answer.signature as { jws?: string } | undefined;
  if (!sig?.jws) {
    checks.push({ ok: false, name: 'inclusion proof', detail: `no proof: the vote is ${String(answer.voteState)}` });
    return checks;
  }
  let signed: Json = {};
  try {
    const parts = sig.jws.split('.');
    signed = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Json;
  } catch {
    checks.push({ ok: false, name: 'signed payload', detail: 'cannot be decoded' });
    return checks;
  }
  checks.push({
    ...(await checkSignature('', { ...signed, signature: answer.signature }, jwks)),
    name: 'signature of the sealed root',
  });
  const problems: string[] = [];
  if (signed.merkleRoot !== answer.merkleRoot) problems.push('merkleRoot differs from the signed one');
  if (signed.ballotCount !== answer.treeSize) problems.push('treeSize differs from the signed ballotCount');
  if (signed.voteId !== answer.voteId) problems.push('signed for another vote');
  const chain = answer.chain as Json | undefined;
  if (signed.format === FORMAT_2 && (signed.chain as Json | undefined)?.seq !== chain?.seq)
    problems.push('chain seq differs from the signed one');
  checks.push({
    ok: problems.length === 0,
    name: 'root, size and vote are the signed ones',
    ...(problems.length ? { detail: problems.join('; ') } : {}),
  });
  const ok = verifyInclusionHex(
    leafHash,
    Number(answer.leafIndex),
    Number(answer.treeSize),
    answer.proof,
    String(signed.merkleRoot),
  );
  checks.push({ ok, name: `inclusion proof (leaf ${String(answer.leafIndex)} of ${String(answer.treeSize)})` });
  return checks;
}

// ---------------------------------------------------------------- a conference export

export interface ExportResult {
  checks: Check[];
  jwksSource: 'given' | 'export header' | 'none';
}

export async function verifyExport(text: string, given: Jwks | null, receipt?: string): Promise<ExportResult> {
  const checks: Check[] = [];
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const parsed: Json[] = [];
  for (const [i, l] of lines.entries()) {
    try {
      parsed.push(JSON.parse(l) as Json);
    } catch {
      checks.push({ ok: false, name: 'export lines are JSON', detail: `line ${i + 1} is not JSON` });
      return { checks, jwksSource: 'none' };
    }
  }
  const header = parsed[0];
  if (!header || header.type !== 'header' || header.format !== 'plenary-export/1') {
    checks.push({ ok: false, name: 'export header', detail: 'the first line is not a plenary-export/1 header' });
    return { checks, jwksSource: 'none' };
  }
  const conference = (header.conference ?? {}) as Json;
  checks.push({
    ok: true,
    name: 'export header',
    detail: `conference ${String(conference.id)} (${String(conference.name)})`,
  });
  const jwks = given ?? ((header.jwks as Jwks | undefined) || null);
  const jwksSource = given ? 'given' : header.jwks ? 'export header' : 'none';

  const events = parsed.filter((p) => p.type === 'event').map((p) => (p.entry ?? {}) as Json);
  const records = parsed.filter((p) => p.type === 'record').map((p) => (p.record ?? {}) as Json);
  const end = parsed[parsed.length - 1];
  const order = parsed.map((p) => p.type).join(',');
  if (!/^header(,event)*(,record)*,end$/.test(order))
    checks.push({ ok: false, name: 'export structure', detail: 'lines are not header, events, records, end' });

  // The chain, entry by entry, from the genesis hash.
  {
    let prev = GENESIS;
    let problem: string | undefined;
    for (const [i, e] of events.entries()) {
      const seq = i + 1;
      if (e.seq !== seq) problem = `entry ${i}: seq ${String(e.seq)} where ${seq} was expected`;
      else if (e.conferenceId !== conference.id) problem = `seq ${seq}: entry of another conference`;
      else if (e.prevHash !== prev) problem = `seq ${seq}: prevHash does not link to the previous entry`;
      else {
        let ch = '';
        try {
          ch = entryContentHash(e);
        } catch (err) {
          problem = `seq ${seq}: ${(err as Error).message}`;
        }
        if (!problem && ch !== e.contentHash) problem = `seq ${seq}: contentHash does not match its content`;
        else if (!problem && entryHashHex(prev, ch) !== e.hash) problem = `seq ${seq}: hash does not match`;
      }
      if (problem) break;
      prev = String(e.hash);
    }
    const head = (header.head ?? {}) as Json;
    const hs = (header.headSignature ?? {}) as Json;
    const signedHead = { format: header.format, conferenceId: conference.id, head, exportedAt: header.exportedAt };
    checks.push({
      ...(await checkSignature('', { ...signedHead, signature: hs }, jwks)),
      name: 'signature of the chain head in the export header',
    });
    if (!problem && (head.seq !== events.length || head.hash !== prev))
      problem = `the chain ends at seq ${events.length}, the header's head is seq ${String(head.seq)}`;
    checks.push({
      ok: !problem,
      name: `hash chain of ${events.length} events`,
      detail: problem ?? `head ${prev.slice(0, 16)}…`,
    });
  }
  checks.push({
    ok: end?.type === 'end' && end.events === events.length && end.records === records.length,
    name: 'export is complete (end line counts)',
  });

  // Every signed vote.closed entry of the chain has its record, and each record's entry is the chain's.
  {
    const closed = events.filter((e) => e.type === 'vote.closed');
    const problems: string[] = [];
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    const recordVotes = new Set<string>();
    for (const r of records) {
      const ev = r.closedEvent as Json | undefined;
      const inChain = ev ? bySeq.get(ev.seq) : undefined;
      const vote = (r.vote ?? {}) as Json;
      if (!inChain || !same(inChain, ev))
        problems.push(`record of vote ${String(vote.id)}: its vote.closed entry is not the chain's`);
      if (recordVotes.has(String(vote.id))) problems.push(`vote ${String(vote.id)} twice`);
      recordVotes.add(String(vote.id));
    }
    for (const e of closed) {
      const d = (e.data ?? {}) as Json;
      if (!recordVotes.has(String(d.voteId)))
        problems.push(`no record for vote ${String(d.voteId)} (seq ${String(e.seq)})`);
      checks.push({
        ...(await checkSignature('', d, jwks)),
        name: `signature of vote.closed at seq ${String(e.seq)}`,
      });
    }
    checks.push({
      ok: problems.length === 0,
      name: `${records.length} records for ${closed.length} closed votes in the chain`,
      ...(problems.length ? { detail: problems.slice(0, 5).join('; ') } : {}),
    });
  }

  // Format 2: what vote.closed signs about the vote is what vote.created put in the chain
  // (a reworded question re-hashed into the record, or another visibility, shows here).
  {
    const created = new Map<string, Json>();
    for (const e of events) {
      const d = (e.data ?? {}) as Json;
      if (e.type === 'vote.created') created.set(String(d.voteId), d);
    }
    const problems: string[] = [];
    let compared = 0;
    for (const e of events) {
      const d = (e.data ?? {}) as Json;
      if (e.type !== 'vote.closed' || d.format !== FORMAT_2) continue;
      compared++;
      const c = created.get(String(d.voteId));
      if (!c) {
        problems.push(`vote ${String(d.voteId)} (seq ${String(e.seq)}): no vote.created entry`);
        continue;
      }
      for (const k of [
        'title',
        'questionSha256',
        'subject',
        'mode',
        'weighting',
        'majority',
        'quorum',
        'allowChange',
        'resultsVisibility',
      ])
        if (!same(c[k], d[k])) problems.push(`vote ${String(d.voteId)}: ${k} differs from vote.created`);
      if (e.conferenceId !== d.conferenceId) problems.push(`vote ${String(d.voteId)}: conferenceId`);
    }
    checks.push({
      ok: problems.length === 0,
      name: `${compared} signed vote.closed entries agree with their vote.created entries`,
      ...(problems.length ? { detail: problems.slice(0, 5).join('; ') } : {}),
    });
  }

  let receiptFound = false;
  for (const r of records) {
    const vote = (r.vote ?? {}) as Json;
    const label = `vote ${String(vote.title ?? vote.id)}`;
    const hasReceipt =
      receipt !== undefined &&
      [
        ...((r.ballots ?? []) as { receipt: string }[]),
        ...((r.secretLeaves ?? []) as { receipt: string }[]),
        ...((((r.e2e as Json | null | undefined)?.ballots ?? []) as { tracker: string }[]).map((b) => ({
          receipt: b.tracker,
        })) as { receipt: string }[]),
      ].some((b) => b.receipt === receipt);
    receiptFound ||= hasReceipt;
    checks.push(...(await verifyRecord(r, jwks, { label, ...(hasReceipt ? { receipt } : {}) })));
  }
  if (receipt !== undefined && !receiptFound)
    checks.push({
      ok: false,
      name: `receipt ${receipt.slice(0, 16)}… is included`,
      detail: 'in no record of the export',
    });
  return { checks, jwksSource };
}

/** What kind of document this is, from its content. */
export function kindOf(text: string): 'export' | 'record' | 'receipt' | 'unknown' {
  const first = text.trimStart().split('\n', 1)[0] ?? '';
  try {
    const head = JSON.parse(first) as Json;
    if (head.type === 'header') return 'export';
  } catch {
    /* a pretty-printed JSON document spans lines */
  }
  try {
    const doc = JSON.parse(text) as Json;
    if (doc.format === FORMAT_1 || doc.format === FORMAT_2) return 'record';
    if (typeof doc.receipt === 'string' && 'included' in doc) return 'receipt';
  } catch {
    return 'unknown';
  }
  return 'unknown';
}
