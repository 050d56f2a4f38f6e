import type { CeremonyState } from './ceremony.js';
import { ciphertextFromHex } from './elgamal.js';
import { G, mul, pointToHex, scalarFromHex, scalarToHex } from './group.js';
import { proveKnowledge } from './proofs.js';
import {
  createIdentity,
  deal,
  identityContext,
  openShare,
  partialDecrypt,
  polynomial,
  secretShare,
  verificationKey,
  verifyDealing,
  verifyIdentity,
  verifyPartial,
  TellerError,
  type Complaint,
  type Dealing,
  type PartialDecryption,
  type TellerIdentity,
  type TellerSecret,
} from './tellers.js';

/**
 * A teller's side of the ceremony (docs/e2e-ballots.md sections 6 and 10): from the public
 * state of the tellers and the teller's key file, the one thing to publish next. The
 * /trustee page and `npm run trustee` both drive it, so both behave the same: every body
 * generated is kept in the key file first, and a retry (a lost answer, a restarted
 * process) re-sends exactly that body, which the service answers 200 instead of 409
 * `already_published`. Pure and browser-safe, like the rest of src/domain/e2e.
 */

export type { CeremonyState } from './ceremony.js';

export const TELLER_KEY_FORMAT = 'plenary-teller-key/1';

/**
 * Everything secret a teller holds, on its device only. Each field is written once, when
 * the body that depends on it is generated, and before that body is sent.
 */
export interface TellerKeyFile {
  format: typeof TELLER_KEY_FORMAT;
  context: string[];
  index: number;
  /** e_i, the identity key the other tellers encrypt their shares to. */
  identitySecret: string;
  /** The published identity (its proof is randomised: kept so a retry sends the same one). */
  identity?: TellerIdentity;
  /**
   * The identities the dealing was made for (their public keys, by index): after the chair
   * restarts a failed ceremony the identities change, and the dealing must be made afresh.
   */
  dealtTo?: string[];
  /** f_i's coefficients a_i0..a_i(k-1), scalars in hex. */
  polynomial?: string[];
  dealing?: Dealing;
  /** The good shares f_j(index) received, by dealer index: s_l is their sum over the qualified set. */
  received?: Record<string, string>;
  /** This teller's published checks. */
  complaints?: Complaint[];
  /** s_l, once the qualified set is known. */
  share?: string;
  partial?: PartialDecryption;
}

export type TellerAction =
  | { kind: 'identity'; body: TellerIdentity }
  | { kind: 'dealing'; body: Dealing }
  | { kind: 'checks'; body: { index: number; complaints: Complaint[] } }
  | { kind: 'partial'; body: PartialDecryption }
  /**
   * `reason` in English (the CLI prints it), `why` for a page to say it in its language;
   * `final`: nothing the others do will give this teller anything more to publish.
   */
  | { kind: 'wait'; reason: string; why: WaitReason; final?: boolean }
  | { kind: 'done' };

export function newTellerKey(context: readonly string[], index: number): TellerKeyFile {
  const { identity, secret } = createIdentity(context, index);
  return { format: TELLER_KEY_FORMAT, context: [...context], index, identitySecret: secret.secretKey, identity };
}

/** Reads a key file (from disk or the browser's storage), refusing anything that is not one. */
export function parseTellerKeyFile(value: unknown): TellerKeyFile {
  const k = value as Partial<TellerKeyFile> | null;
  const bad = (why: string) => new TellerError('invalid_key_file', `not a teller key file: ${why}`);
  if (typeof k !== 'object' || k === null || Array.isArray(k)) throw bad('not a JSON object');
  if (k.format !== TELLER_KEY_FORMAT) throw bad(`format is not ${TELLER_KEY_FORMAT}`);
  if (!Array.isArray(k.context) || !k.context.every((s) => typeof s === 'string')) throw bad('context');
  if (!Number.isSafeInteger(k.index) || k.index! < 1) throw bad('index');
  try {
    scalarFromHex(k.identitySecret);
    for (const a of k.polynomial ?? []) scalarFromHex(a);
    for (const s of Object.values(k.received ?? {})) scalarFromHex(s);
    if (k.share !== undefined) scalarFromHex(k.share);
  } catch (err) {
    throw bad((err as Error).message);
  }
  return k as TellerKeyFile;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

const missing = (state: CeremonyState, have: readonly number[]) =>
  state.tellers
    .map((t) => t.index)
    .filter((i) => !have.includes(i))
    .join(', ');

/** What comes after the identity: made for one set of identities, dropped when they change. */
function withoutDealing(key: TellerKeyFile): TellerKeyFile {
  const {
    dealtTo: _d,
    polynomial: _p,
    dealing: _g,
    received: _r,
    complaints: _c,
    share: _s,
    partial: _x,
    ...rest
  } = key;
  return rest;
}

/** The identity of the file's secret: kept in the file; made once for a file that has none. */
function identityOf(key: TellerKeyFile): { key: TellerKeyFile; identity: TellerIdentity } {
  const e = scalarFromHex(key.identitySecret);
  const publicKey = pointToHex(mul(G, e));
  if (key.identity) {
    if (key.identity.index !== key.index || key.identity.publicKey !== publicKey)
      throw new TellerError('invalid_key_file', "the key file's identity is not its secret's");
    return { key, identity: key.identity };
  }
  const context = identityContext(key.context, key.index);
  const identity = { index: key.index, publicKey, proof: proveKnowledge(context, mul(G, e), e) };
  if (!verifyIdentity(key.context, identity)) throw new TellerError('invalid_key_file', 'the identity does not verify');
  return { key: { ...key, identity }, identity };
}

/**
 * s_l = the sum of the good shares of the qualified dealers, checked against the public
 * verification key Y_l before it is kept: a wrong share would only show as a refused
 * partial decryption once the vote has closed. The single shares are dropped: s_l is all
 * a teller needs, and the less secret material on a device the better.
 */
function withShare(state: CeremonyState, key: TellerKeyFile, qualified: readonly number[]): TellerKeyFile {
  if (key.share !== undefined) return key;
  const received = key.received;
  if (!received)
    throw new TellerError(
      'missing_shares',
      `this key file holds no shares of teller ${key.index}: its checks were made with another key file`,
    );
  const shares = qualified.map((i) => {
    const s = received[String(i)];
    if (s === undefined) throw new TellerError('missing_shares', `no good share from teller ${i} in this key file`);
    return scalarFromHex(s);
  });
  const share = secretShare(shares);
  if (!mul(G, share).equals(verificationKey(state.dealings, qualified, key.index)))
    throw new TellerError('share_mismatch', `teller ${key.index}'s share does not match its verification key`);
  const { received: _r, ...rest } = key;
  return { ...rest, share: scalarToHex(share) };
}

/** Why a teller waits, with what a sentence about it needs (lists of tellers as "1, 3"). */
export type WaitReason =
  | { code: 'identities' | 'dealings' | 'checks'; tellers: string }
  | { code: 'failed'; k: number }
  | { code: 'not_qualified'; index: number; qualified: string }
  | { code: 'ready'; subject: string }
  | { code: 'partials'; more: number; tellers: string };

function reasonInEnglish(w: WaitReason): string {
  switch (w.code) {
    case 'identities':
    case 'dealings':
    case 'checks':
      return `waiting for the ${w.code} of tellers ${w.tellers}`;
    case 'failed':
      return `fewer than ${w.k} tellers qualified: the chair must restart the ceremony`;
    case 'not_qualified':
      return `teller ${w.index} is not in the qualified set (${w.qualified}): it has nothing more to do`;
    case 'ready':
      return `the election key is ready: waiting for the ${w.subject} to close`;
    case 'partials':
      return `waiting for ${w.more} more partial decryption(s) (from tellers ${w.tellers})`;
  }
}

const wait = (key: TellerKeyFile, why: WaitReason, final = false) => {
  const reason = reasonInEnglish(why);
  return {
    step: final ? { kind: 'wait' as const, reason, why, final } : { kind: 'wait' as const, reason, why },
    key,
  };
};

/**
 * The next step of the teller of `key` in the ceremony `state`. The returned key file may
 * have changed (a new dealing, the opened shares, s_l): store it before sending the body.
 */
export async function nextTellerStep(
  state: CeremonyState,
  key: TellerKeyFile,
): Promise<{ step: TellerAction; key: TellerKeyFile }> {
  if (!sameList(state.context, key.context))
    throw new TellerError(
      'wrong_context',
      `this key file is for ${key.context.join(' ')}, not for ${state.context.join(' ')}: it is another vote's or election's`,
    );
  if (!state.tellers.some((t) => t.index === key.index))
    throw new TellerError('not_teller', `this ceremony has no teller ${key.index}`);
  const index = key.index;
  const got = identityOf(key);
  let k = got.key;
  const identity = got.identity;
  const published = state.identities.find((x) => x.index === index);
  if (published && published.publicKey !== identity.publicKey)
    throw new TellerError(
      'wrong_key_file',
      `teller ${index} published another identity key: this is not the key file that did`,
    );
  const me: TellerSecret = { index, secretKey: k.identitySecret };
  const identities = [...state.identities].sort((a, b) => a.index - b.index);
  const mineDealt = state.dealings.find((d) => d.index === index);

  // A dealing belongs to one round of the ceremony. After the chair restarts a failed one,
  // the identities phase comes again (or the identities change, or the dealing this file
  // saw stored is gone): what was dealt, opened and summed then is void, and a fresh
  // polynomial is drawn (the complaints may have made shares of the old one public).
  if (
    k.dealing &&
    (state.phase === 'identities' ||
      !sameList(
        k.dealtTo ?? [],
        identities.map((x) => x.publicKey),
      ) ||
      (state.phase === 'dealings' && !mineDealt && k.polynomial === undefined))
  )
    k = withoutDealing(k);
  // Once the dealing is stored the polynomial is needed no more (s_l comes from the shares received).
  if (mineDealt && k.polynomial !== undefined) {
    const { polynomial: _p, ...rest } = k;
    k = rest;
  }

  switch (state.phase) {
    case 'identities':
      if (!published) return { step: { kind: 'identity', body: identity }, key: k };
      return wait(k, {
        code: 'identities',
        tellers: missing(
          state,
          state.identities.map((x) => x.index),
        ),
      });
    case 'dealings': {
      if (mineDealt)
        return wait(k, {
          code: 'dealings',
          tellers: missing(
            state,
            state.dealings.map((d) => d.index),
          ),
        });
      if (!k.dealing) {
        const coefficients = polynomial(state.threshold);
        const dealing = await deal(state.context, me, coefficients, identities);
        k = {
          ...k,
          dealtTo: identities.map((x) => x.publicKey),
          polynomial: coefficients.map(scalarToHex),
          dealing,
        };
      }
      return { step: { kind: 'dealing', body: k.dealing! }, key: k };
    }
    case 'checks': {
      if (state.checks.some((c) => c.index === index))
        return wait(k, {
          code: 'checks',
          tellers: missing(
            state,
            state.checks.map((c) => c.index),
          ),
        });
      if (!k.complaints || !k.received) {
        const received: Record<string, string> = {};
        const complaints: Complaint[] = [];
        for (const d of [...state.dealings].sort((a, b) => a.index - b.index)) {
          // A dealing that fails the public checks is out whatever its shares: nothing to complain of.
          if (!verifyDealing(state.context, d, state.threshold, identities)) continue;
          const opened = await openShare(state.context, me, identity, d);
          if (opened.ok) received[String(d.index)] = scalarToHex(opened.share);
          else complaints.push(opened.complaint);
        }
        k = { ...k, received, complaints };
      }
      return { step: { kind: 'checks', body: { index, complaints: k.complaints! } }, key: k };
    }
    case 'failed':
      return wait(k, { code: 'failed', k: state.threshold });
    case 'ready':
    case 'decrypting': {
      const qualified = state.qualified ?? [];
      if (!qualified.includes(index))
        return wait(k, { code: 'not_qualified', index, qualified: qualified.join(', ') }, true);
      k = withShare(state, k, qualified);
      // The context starts with "vote" or "election" (docs section 2).
      if (state.phase === 'ready') return wait(k, { code: 'ready', subject: state.context[0]! });
      const done = state.partials.map((p) => p.index);
      if (done.includes(index))
        return wait(k, {
          code: 'partials',
          more: Math.max(1, state.threshold - done.length),
          tellers: qualified.filter((i) => !done.includes(i)).join(', '),
        });
      if (!state.aggregate) throw new TellerError('missing_aggregate', 'the state has no aggregate to decrypt');
      const aggregate = state.aggregate.map(ciphertextFromHex);
      const yl = verificationKey(state.dealings, qualified, index);
      if (!k.partial || !verifyPartial(state.context, yl, aggregate, k.partial))
        k = { ...k, partial: partialDecrypt(state.context, index, scalarFromHex(k.share!), aggregate) };
      return { step: { kind: 'partial', body: k.partial! }, key: k };
    }
    case 'decrypted':
      return { step: { kind: 'done' }, key: k };
  }
}
