/**
 * Checks a receipt in the browser, trusting nothing but the published key: the same checks
 * as scripts/verify-core.ts (verifyReceiptAnswer), written again on the Web Crypto API.
 * The service is asked for the proof, never for a verdict.
 *   leaf:      SHA-256(0x00 || canonical JSON of the leaf) is the receipt (RFC 9162 leaf hash);
 *              for an encrypted ballot the receipt is its tracker, which the leaf holds
 *   proof:     the RFC 9162 inclusion proof leads from the receipt to the signed root
 *   signature: the vote.closed entry's JWS (EdDSA, Ed25519) verifies against /.well-known/jwks.json
 *   signed:    the root, tree size and vote the proof uses are those in the signed payload
 */
import canonicalize from 'canonicalize';

export type CheckId = 'recorded' | 'leaf' | 'signature' | 'signed' | 'proof';
export interface CheckResult {
  id: CheckId;
  ok: boolean;
  detail?: string;
}
export interface ReceiptOutcome {
  voteState: string;
  checks: CheckResult[];
}

const HEX64 = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The link a phone makes: /receipt#vote=<id>&receipt=<hex>, or the same pair pasted in any form. */
export function parseReceiptLink(input: string): { voteId: string; receipt: string } | null {
  const text = input.trim();
  const hash = text.includes('#') ? text.slice(text.indexOf('#') + 1) : text;
  const params = new URLSearchParams(hash);
  const voteId = params.get('vote')?.toLowerCase() ?? '';
  const receipt = (params.get('receipt') ?? '').toLowerCase().replace(/[\s-]/g, '');
  return UUID.test(voteId) && HEX64.test(receipt) ? { voteId, receipt } : null;
}

export function receiptLink(voteId: string, receipt: string): string {
  return `/receipt#vote=${voteId}&receipt=${receipt}`;
}

const hex = (b: ArrayBuffer | Uint8Array) =>
  Array.from(b instanceof Uint8Array ? b : new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (h: string): Uint8Array => new Uint8Array(h.match(/../g)!.map((x) => Number.parseInt(x, 16)));

async function sha256(parts: Uint8Array[]): Promise<Uint8Array> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

export async function leafHash(leaf: unknown): Promise<string> {
  const json = canonicalize(leaf);
  if (json === undefined) return '';
  return hex(await sha256([Uint8Array.of(0), new TextEncoder().encode(json)]));
}

const node = (l: Uint8Array, r: Uint8Array) => sha256([Uint8Array.of(1), l, r]);

/** RFC 9162 2.1.3.2, as verifyInclusionHex in scripts/verify-core.ts. */
export async function verifyInclusion(
  leaf: string,
  index: number,
  size: number,
  proof: unknown,
  root: string,
): Promise<boolean> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (!HEX64.test(leaf) || !HEX64.test(root) || !Array.isArray(proof)) return false;
  if (!proof.every((p) => typeof p === 'string' && HEX64.test(p))) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = unhex(leaf);
  for (const p of proof as string[]) {
    if (sn === 0) return false;
    const ph = unhex(p);
    if (fn % 2 === 1 || fn === sn) {
      r = await node(ph, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await node(r, ph);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && hex(r) === root;
}

const b64url = (s: string) => {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
};

interface Jwk {
  kid?: string;
  kty?: string;
  crv?: string;
  x?: string;
}

/** A compact JWS with EdDSA over Ed25519, checked with the key of its kid; its payload, or null. */
export async function verifyJws(jws: string, kid: string, keys: Jwk[]): Promise<Record<string, unknown> | null> {
  const [h, p, s] = jws.split('.');
  if (!h || !p || !s) return null;
  const header = JSON.parse(new TextDecoder().decode(b64url(h))) as { alg?: string; kid?: string };
  if (header.alg !== 'EdDSA' || header.kid !== kid) return null;
  const jwk = keys.find((k) => k.kid === kid && k.kty === 'OKP' && k.crv === 'Ed25519');
  if (!jwk?.x) return null;
  const key = await crypto.subtle.importKey(
    'jwk',
    { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
    { name: 'Ed25519' },
    false,
    ['verify'],
  );
  const ok = await crypto.subtle.verify({ name: 'Ed25519' }, key, b64url(s), new TextEncoder().encode(`${h}.${p}`));
  return ok ? (JSON.parse(new TextDecoder().decode(b64url(p))) as Record<string, unknown>) : null;
}

interface E2eLeaf {
  kind: 'e2e_ballot';
  voteId: string;
  tracker: string;
}

interface ReceiptAnswer {
  voteId: string;
  receipt: string;
  included: boolean;
  voteState: string;
  leaf?: unknown;
  leafIndex?: number;
  treeSize?: number;
  proof?: string[];
  merkleRoot?: string;
  signature?: { kid: string; jws: string };
}

export async function checkReceipt(voteId: string, receipt: string): Promise<ReceiptOutcome> {
  const res = await fetch(`/api/v1/votes/${voteId}/receipts/${receipt}`, { cache: 'no-store' });
  if (res.status === 404) return { voteState: 'unknown', checks: [{ id: 'recorded', ok: false }] };
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const a = (await res.json()) as ReceiptAnswer;
  const checks: CheckResult[] = [{ id: 'recorded', ok: a.included && a.receipt === receipt }];
  if (!a.included || !a.signature) return { voteState: a.voteState, checks };

  // secret_e2e: the receipt is the ballot's tracker, held by its leaf; the tree proves the leaf.
  const e2e = (a.leaf as { kind?: unknown } | undefined)?.kind === 'e2e_ballot' ? (a.leaf as E2eLeaf) : null;
  const proven = e2e ? await leafHash(e2e) : receipt;
  checks.push({
    id: 'leaf',
    ok: e2e
      ? e2e.tracker === receipt && e2e.voteId === voteId
      : a.leaf !== undefined && (await leafHash(a.leaf)) === receipt,
  });
  const jwks = (await (await fetch('/.well-known/jwks.json')).json()) as { keys: Jwk[] };
  const signed = await verifyJws(a.signature.jws, a.signature.kid, jwks.keys).catch(() => null);
  checks.push({ id: 'signature', ok: signed !== null });
  checks.push({
    id: 'signed',
    ok:
      signed !== null &&
      signed.merkleRoot === a.merkleRoot &&
      signed.ballotCount === a.treeSize &&
      signed.voteId === voteId,
  });
  const root = typeof signed?.merkleRoot === 'string' ? signed.merkleRoot : String(a.merkleRoot);
  checks.push({
    id: 'proof',
    ok: await verifyInclusion(proven, Number(a.leafIndex), Number(a.treeSize), a.proof, root),
  });
  return { voteState: a.voteState, checks };
}
