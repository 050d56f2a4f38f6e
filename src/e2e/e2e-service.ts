/**
 * Encrypted ballots (`secret_e2e`, docs/e2e-ballots.md section 10), the part votes and
 * elections share: the tellers' ceremony of a subject (a vote, or round 1 of an election),
 * the check and storage of encrypted ballots, the aggregate at close and the decryption by
 * k tellers. The votes and elections modules call these functions inside their own
 * transactions (create, open, cast, close) and register what happens at decryption
 * (onDecrypted); the teller routes (e2e-routes.ts) drive the ceremony.
 *
 * The service never holds a secret: a teller's keys live on its device, a ballot's choice
 * on the phone. Every step it accepts is checked against its proof, so a record built from
 * these rows verifies with scripts/verify-e2e.ts whatever the tellers or voters sent.
 */
import canonicalize from 'canonicalize';
import type { AppContext } from '../app-context.js';
import type { DbOrTx, Tx } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import type { Principal } from '../auth/principal.js';
import { appendEvent } from '../audit/event-log.js';
import type { Ballot, BallotShape } from '../domain/e2e/ballot.js';
import { MAX_TELLERS, STEP_PHASE, type CeremonyState, type TellerStep } from '../domain/e2e/ceremony.js';
import { ciphertextFromHex, type CiphertextHex } from '../domain/e2e/elgamal.js';
import { pointFromHex, pointToHex } from '../domain/e2e/group.js';
import { verifyDleq } from '../domain/e2e/proofs.js';
import { tallyRecord, type TallyRecord } from '../domain/e2e/record.js';
import {
  combine,
  jointPublicKey,
  qualifiedTellers,
  verificationKey,
  verifyDealing,
  verifyIdentity,
  verifyPartial,
  TellerError,
  type Complaint,
  type Dealing,
  type PartialDecryption,
  type TellerIdentity,
} from '../domain/e2e/tellers.js';
import { lockVote } from '../votes/vote-repository.js';
import { lockElection } from '../elections/election-repository.js';
import { addSums } from './proof-jobs.js';
import { proofPool } from './proof-workers.js';
import {
  clearTellerSteps,
  findCeremony,
  insertBallotIfOpen,
  insertCeremony,
  insertTellers,
  loadAccounts,
  loadBallots,
  loadTellers,
  lockCeremony,
  setTellerStep,
  updateCeremony,
  type CeremonyRow,
  type TellerColumn,
  type TellerWithName,
} from './e2e-repository.js';

export type { CeremonyState } from '../domain/e2e/ceremony.js';

export type E2eSubject = { kind: 'vote' | 'election'; id: string };

/** The base context of every proof of the subject (docs/e2e-ballots.md section 2). */
export function subjectContext(s: E2eSubject): string[] {
  return s.kind === 'vote' ? ['vote', s.id] : ['election', s.id, 'round', '1'];
}

export interface ReadyKey {
  context: string[];
  publicKey: string;
  shape: BallotShape;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const tellersError = (message: string, details?: Record<string, unknown>) =>
  new DomainError('unprocessable', 'e2e_tellers', message, details);

function checkShape(shape: BallotShape): void {
  const bad = (m: string) => new DomainError('unprocessable', 'e2e_shape', `The ballot shape is not valid: ${m}.`);
  if (shape.options.length === 0) throw bad('no options');
  if (new Set(shape.options).size !== shape.options.length) throw bad('option ids repeat');
  if (new Set(shape.groups.map((g) => g.id)).size !== shape.groups.length) throw bad('group ids repeat');
  for (const g of shape.groups) {
    if (g.options.length === 0 || !g.options.every((o) => shape.options.includes(o)))
      throw bad(`group ${g.id} names an unknown option`);
    if (!Number.isSafeInteger(g.min) || !Number.isSafeInteger(g.max) || g.min < 0 || g.max < g.min)
      throw bad(`group ${g.id} needs 0 <= min <= max`);
  }
}

/**
 * At creation of a secret_e2e vote or election, inside its transaction: the ceremony starts
 * in phase `identities`, teller i being accountIds[i - 1].
 */
export async function createCeremony(
  tx: Tx,
  subject: E2eSubject,
  input: { conferenceId: string; tellers: { accountIds: string[]; threshold: number }; shape: BallotShape },
): Promise<void> {
  const { accountIds, threshold } = input.tellers;
  const n = accountIds.length;
  if (n < 1 || n > MAX_TELLERS) throw tellersError(`A ceremony has 1 to ${MAX_TELLERS} tellers; ${n} were named.`);
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > n)
    throw tellersError(`The threshold is 1 to the number of tellers (${n}); ${threshold} was given.`);
  const bad = accountIds.filter((a) => typeof a !== 'string' || !UUID.test(a));
  if (bad.length > 0) throw tellersError('A teller is named by an account id (UUID).', { accountIds: bad });
  const ids = accountIds.map((a) => a.toLowerCase());
  if (new Set(ids).size !== n) throw tellersError('A teller is named twice.');
  checkShape(input.shape);
  const found = new Map((await loadAccounts(tx, ids)).map((a) => [a.id, a]));
  const refused = ids.filter((id) => {
    const a = found.get(id);
    return !a || a.disabled || (a.conferenceId !== null && a.conferenceId !== input.conferenceId);
  });
  if (refused.length > 0)
    throw tellersError('Every teller must be an enabled account of this conference or of the whole service.', {
      accountIds: refused,
    });
  const existing = await findCeremony(tx, subject.kind, subject.id);
  if (existing)
    throw new DomainError('conflict', 'e2e_ceremony_exists', `This ${subject.kind} has its tellers already.`);
  const c = await insertCeremony(tx, {
    subjectKind: subject.kind,
    subjectId: subject.id,
    conferenceId: input.conferenceId,
    context: subjectContext(subject),
    threshold,
    tellerAccountIds: ids,
    shape: input.shape,
  });
  await insertTellers(tx, c.id, ids);
}

// ---------------------------------------------------------------- the key, for ballots

/** Ready keys by subject: a key never changes once set (a restart happens only before one is). */
const readyKeys = new Map<string, ReadyKey>();
const MAX_CACHED_KEYS = 256;
const keyOf = (s: E2eSubject) => `${s.kind}:${s.id}`;

function readyKeyOfRow(c: CeremonyRow): ReadyKey | null {
  if (c.publicKey === null) return null;
  return { context: c.context, publicKey: c.publicKey, shape: c.shape as BallotShape };
}

export async function readyKeyOrNull(db: DbOrTx, subject: E2eSubject): Promise<ReadyKey | null> {
  const cached = readyKeys.get(keyOf(subject));
  if (cached) return cached;
  const c = await findCeremony(db, subject.kind, subject.id);
  const key = c ? readyKeyOfRow(c) : null;
  if (key) {
    if (readyKeys.size >= MAX_CACHED_KEYS) readyKeys.delete(readyKeys.keys().next().value!);
    readyKeys.set(keyOf(subject), key);
  }
  return key;
}

/** Opening a secret_e2e vote or election: its tellers' key must be ready (409 tellers_not_ready). */
export async function requireReadyKey(db: DbOrTx, subject: E2eSubject): Promise<ReadyKey> {
  const key = await readyKeyOrNull(db, subject);
  if (!key) {
    const c = await findCeremony(db, subject.kind, subject.id);
    throw new DomainError(
      'conflict',
      'tellers_not_ready',
      c
        ? `The tellers' key is not ready (the ceremony is in phase ${c.phase}).`
        : `This ${subject.kind} has no tellers' ceremony.`,
      { phase: c?.phase ?? null },
    );
  }
  return key;
}

/**
 * Every proof of a ballot against its seat's statement, in a proof worker (off the event
 * loop). Answers the tracker (the receipt) and the ballot as it will be stored; 422
 * invalid_ballot_proof with the failing part otherwise.
 */
export async function checkEncryptedBallot(
  db: DbOrTx,
  subject: E2eSubject,
  seat: { seatId: string; weight: number },
  split: boolean,
  ballot: unknown,
): Promise<{ tracker: string; ballot: Ballot }> {
  const key = await requireReadyKey(db, subject);
  const result = await proofPool().run({
    kind: 'check',
    shape: key.shape,
    statement: { context: [...key.context, 'seat', seat.seatId], weight: seat.weight, split },
    publicKey: key.publicKey,
    ballot,
  });
  if (!result.ok)
    throw new DomainError(
      'unprocessable',
      'invalid_ballot_proof',
      `The encrypted ballot is refused: ${result.reason}.`,
      {
        reason: result.reason,
      },
    );
  return { tracker: result.tracker, ballot: ballot as Ballot };
}

/** Stores a checked ballot (inside the caster's transaction); 409 once the seat has one or ballots have closed. */
export async function storeEncryptedBallot(
  tx: Tx,
  subject: E2eSubject,
  row: { seatId: string; weight: number; split: boolean; tracker: string; ballot: Ballot },
): Promise<void> {
  const outcome = await insertBallotIfOpen(tx, subject.kind, subject.id, row);
  if (outcome === 'duplicate')
    throw new DomainError('conflict', 'already_voted', 'This seat has an encrypted ballot already.');
  if (outcome === 'closed')
    throw new DomainError('conflict', 'wrong_phase', `This ${subject.kind} takes no encrypted ballots now.`);
}

// ---------------------------------------------------------------- close and decryption

/**
 * At close, inside the closer's transaction (which holds the subject's row): the sum of the
 * stored ballots per option, and the ceremony moves to `decrypting`. A second call answers
 * the same aggregate.
 */
export async function beginDecryption(
  tx: Tx,
  subject: E2eSubject,
): Promise<{ aggregate: CiphertextHex[]; ballots: number }> {
  const c = await lockCeremony(tx, subject.kind, subject.id);
  if (!c) throw new DomainError('conflict', 'tellers_not_ready', `This ${subject.kind} has no tellers' ceremony.`);
  const ballots = await loadBallots(tx, c.id);
  if (c.phase === 'decrypting' || c.phase === 'decrypted')
    return { aggregate: c.aggregate as CiphertextHex[], ballots: ballots.length };
  if (c.phase !== 'ready')
    throw new DomainError('conflict', 'tellers_not_ready', `The tellers' ceremony is in phase ${c.phase}.`, {
      phase: c.phase,
    });
  const shape = c.shape as BallotShape;
  const pool = proofPool();
  // Each worker adds up its share of the ballots (decoding every point is most of the cost).
  const parts = Math.max(1, Math.min(pool.size, Math.ceil(ballots.length / 500)));
  const chunk = Math.ceil(ballots.length / parts);
  const sums = await Promise.all(
    Array.from({ length: parts }, (_, i) =>
      pool.run({
        kind: 'sum',
        shape,
        ballots: ballots.slice(i * chunk, (i + 1) * chunk).map((b) => ({ ballot: b.ballot as Ballot })),
      }),
    ),
  );
  const aggregate = addSums(shape, sums);
  await updateCeremony(tx, c.id, { phase: 'decrypting', aggregate });
  return { aggregate, ballots: ballots.length };
}

export type DecryptedHandler = (
  ctx: AppContext,
  tx: Tx,
  subjectId: string,
  totals: Record<string, number>,
) => Promise<void>;

const decryptedHandlers = new Map<'vote' | 'election', DecryptedHandler>();

/**
 * What the votes or elections module does once the totals are known (declare the result,
 * state closed): called in the transaction that accepted the k-th valid partial, after the
 * subject's row and the ceremony's are locked, in that order.
 */
export function onDecrypted(kind: 'vote' | 'election', handler: DecryptedHandler): void {
  decryptedHandlers.set(kind, handler);
}

// ---------------------------------------------------------------- reading

function stateOf(c: CeremonyRow, tellers: TellerWithName[]): CeremonyState {
  return {
    context: c.context,
    threshold: c.threshold,
    phase: c.phase,
    shape: c.shape as BallotShape,
    tellers: tellers.map((t) => ({ index: t.index, accountId: t.accountId, name: t.name })),
    identities: tellers.flatMap((t) => (t.identity ? [t.identity as TellerIdentity] : [])),
    dealings: tellers.flatMap((t) => (t.dealing ? [t.dealing as Dealing] : [])),
    checks: tellers.flatMap((t) => (t.complaints ? [{ index: t.index, complaints: t.complaints as Complaint[] }] : [])),
    qualified: c.qualified,
    publicKey: c.publicKey,
    aggregate: (c.aggregate as CiphertextHex[] | null) ?? null,
    partials: tellers.flatMap((t) => (t.partial ? [t.partial as PartialDecryption] : [])),
    totals: c.totals,
  };
}

const noCeremony = (subject: E2eSubject) =>
  new DomainError('not_found', 'e2e_ceremony_not_found', `This ${subject.kind} has no tellers (it is not secret_e2e).`);

/** The public state of the ceremony (GET .../tellers); 404 e2e_ceremony_not_found when the subject has none. */
export async function ceremonyState(db: DbOrTx, subject: E2eSubject): Promise<CeremonyState> {
  const c = await findCeremony(db, subject.kind, subject.id);
  if (!c) throw noCeremony(subject);
  return stateOf(c, await loadTellers(db, c.id));
}

/** The tally record (docs/e2e-ballots.md section 7) once the totals are decrypted; null before. */
export async function tallyRecordOf(db: DbOrTx, subject: E2eSubject): Promise<TallyRecord | null> {
  const c = await findCeremony(db, subject.kind, subject.id);
  if (!c || c.phase !== 'decrypted' || !c.totals || !c.publicKey || !c.qualified) return null;
  const s = stateOf(c, await loadTellers(db, c.id));
  const ballots = await loadBallots(db, c.id);
  return tallyRecord({
    context: c.context,
    shape: s.shape,
    tellers: {
      threshold: c.threshold,
      identities: s.identities,
      dealings: s.dealings,
      complaints: s.checks.flatMap((x) => x.complaints),
      qualified: c.qualified,
    },
    publicKey: pointFromHex(c.publicKey),
    ballots: ballots.map((b) => ({ seatId: b.seatId, weight: b.weight, split: b.split, ballot: b.ballot as Ballot })),
    aggregate: s.aggregate!.map(ciphertextFromHex),
    partials: s.partials,
    totals: s.shape.options.map((o) => c.totals![o] ?? 0),
  });
}

// ---------------------------------------------------------------- the tellers' steps

const COLUMN: Record<TellerStep, TellerColumn> = {
  identity: 'identity',
  dealing: 'dealing',
  checks: 'complaints',
  partial: 'partial',
};

const invalidProof = (reason: string) =>
  new DomainError('unprocessable', 'invalid_teller_proof', `The teller's step is refused: ${reason}.`, { reason });

/** The body each step takes (e2e-views.ts validates its form). */
export interface StepBodies {
  identity: TellerIdentity;
  dealing: Dealing;
  checks: { index: number; complaints: Complaint[] };
  partial: PartialDecryption;
}

const sameJson = (a: unknown, b: unknown) => canonicalize(a) === canonicalize(b);

/**
 * Every change of a ceremony locks the subject's row, then the ceremony's (FOR UPDATE), in
 * that order, as the close does: two tellers posting at once must not both see "n - 1
 * identities stored" and both miss the phase change, nor two k-th partials both decrypt,
 * and the order keeps a partial (which closes the subject) from deadlocking with a close.
 */
async function lockForChange(tx: Tx, subject: E2eSubject): Promise<CeremonyRow> {
  if (subject.kind === 'vote') await lockVote(tx, subject.id);
  else await lockElection(tx, subject.id);
  const c = await lockCeremony(tx, subject.kind, subject.id);
  if (!c) throw noCeremony(subject);
  return c;
}

/**
 * Teller `index` publishes one step. Only the account named at that index; the same body
 * again answers the state (a retry does no harm), a different one 409 already_published.
 */
export async function publishStep<S extends TellerStep>(
  ctx: AppContext,
  p: Principal,
  subject: E2eSubject,
  index: number,
  step: S,
  body: StepBodies[S],
): Promise<CeremonyState> {
  return ctx.db.transaction(async (tx) => {
    const c = await lockForChange(tx, subject);
    const tellers = await loadTellers(tx, c.id);
    const me = tellers.find((t) => t.index === index);
    if (!me) throw new DomainError('not_found', 'teller_not_found', `This ceremony has no teller ${index}.`);
    if (me.accountId !== p.accountId)
      throw new DomainError('forbidden', 'not_teller', `Only the account named as teller ${index} may do this.`);
    const stored = me[COLUMN[step]];
    if (stored !== null && stored !== undefined) {
      if (sameJson(stored, body)) return stateOf(c, tellers);
      throw new DomainError('conflict', 'already_published', `Teller ${index} has published its ${step} already.`);
    }
    if (c.phase !== STEP_PHASE[step])
      throw new DomainError(
        'conflict',
        'wrong_phase',
        `The ceremony is in phase ${c.phase}; a ${step} is taken in phase ${STEP_PHASE[step]}.`,
        { phase: c.phase },
      );
    if (body.index !== index) throw invalidProof(`the body is teller ${body.index}'s, the route teller ${index}'s`);
    const value = await checkStep(c, tellers, index, step, body);
    await setTellerStep(tx, c.id, index, COLUMN[step], value);
    me[COLUMN[step]] = value;
    const now = ctx.clock();
    await appendEvent(
      tx,
      {
        conferenceId: c.conferenceId,
        type: 'tellers.published',
        actor: p.accountId,
        data: { subjectKind: subject.kind, subjectId: subject.id, index, step },
      },
      now,
    );
    const next = await advance(ctx, tx, subject, c, tellers, step, now);
    return stateOf(next, tellers);
  });
}

/** The step's own checks (422 invalid_teller_proof); answers the value to store. */
async function checkStep<S extends TellerStep>(
  c: CeremonyRow,
  tellers: TellerWithName[],
  index: number,
  step: S,
  body: StepBodies[S],
): Promise<unknown> {
  const identities = tellers.flatMap((t) => (t.identity ? [t.identity as TellerIdentity] : []));
  switch (step) {
    case 'identity': {
      const id = body as TellerIdentity;
      if (!verifyIdentity(c.context, id)) throw invalidProof('the proof of knowledge of the identity key fails');
      return { index, publicKey: id.publicKey, proof: id.proof } satisfies TellerIdentity;
    }
    case 'dealing': {
      const d = body as Dealing;
      if (!verifyDealing(c.context, d, c.threshold, identities))
        throw invalidProof(
          `a dealing has ${c.threshold} commitments, a proof over all of it and one share per teller; this one fails`,
        );
      return { index, commitments: d.commitments, proof: d.proof, shares: d.shares } satisfies Dealing;
    }
    case 'checks': {
      const { complaints } = body as StepBodies['checks'];
      const accused = new Set<number>();
      for (const k of complaints) {
        if (k.accuser !== index) throw invalidProof(`a complaint of teller ${index} names accuser ${k.accuser}`);
        if (accused.has(k.accused)) throw invalidProof(`teller ${k.accused} is accused twice`);
        accused.add(k.accused);
        const dealing = tellers.find((t) => t.index === k.accused)?.dealing as Dealing | null | undefined;
        if (!dealing) throw invalidProof(`teller ${k.accused} has no dealing`);
        const share = dealing.shares.find((s) => s.to === index);
        const mine = identities.find((x) => x.index === index)!;
        // The complaint's proof must hold (it reveals the accuser's ECDH point, nothing more);
        // whether the complaint holds against the share is decided when every check is in.
        if (
          share &&
          !safe(() =>
            verifyDleq(
              [...c.context, 'teller', String(index), 'complaint', String(k.accused)],
              pointFromHex(mine.publicKey),
              pointFromHex(share.ephemeral),
              pointFromHex(k.sharedPoint),
              k.proof,
            ),
          )
        )
          throw invalidProof(`the proof of the complaint against teller ${k.accused} fails`);
      }
      return complaints.map((k) => ({
        accuser: k.accuser,
        accused: k.accused,
        sharedPoint: k.sharedPoint,
        proof: k.proof,
      }));
    }
    case 'partial': {
      const part = body as PartialDecryption;
      const qualified = c.qualified ?? [];
      if (!qualified.includes(index)) throw invalidProof(`teller ${index} is not in the qualified set`);
      const dealings = tellers.flatMap((t) => (t.dealing ? [t.dealing as Dealing] : []));
      const aggregate = (c.aggregate as CiphertextHex[]).map(ciphertextFromHex);
      if (!verifyPartial(c.context, verificationKey(dealings, qualified, index), aggregate, part))
        throw invalidProof("a partial decryption's proof fails against the teller's verification key");
      return { index, factors: part.factors.map((f) => ({ d: f.d, proof: f.proof })) } satisfies PartialDecryption;
    }
  }
  throw new Error(`unknown step ${String(step)}`);
}

function safe(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}

/** The phase change a stored step may bring (docs section 10); answers the ceremony as it now is. */
async function advance(
  ctx: AppContext,
  tx: Tx,
  subject: E2eSubject,
  c: CeremonyRow,
  tellers: TellerWithName[],
  step: TellerStep,
  now: Date,
): Promise<CeremonyRow> {
  const all = (col: TellerColumn) => tellers.every((t) => t[col] !== null && t[col] !== undefined);
  const ev = { subjectKind: subject.kind, subjectId: subject.id };
  if (step === 'identity' && all('identity')) return set(tx, c, { phase: 'dealings' });
  if (step === 'dealing' && all('dealing')) return set(tx, c, { phase: 'checks' });
  if (step === 'checks' && all('complaints')) {
    const identities = tellers.map((t) => t.identity as TellerIdentity);
    const dealings = tellers.map((t) => t.dealing as Dealing);
    const complaints = tellers.flatMap((t) => t.complaints as Complaint[]);
    const qualified = await qualifiedTellers(c.context, c.threshold, identities, dealings, complaints);
    if (qualified.length < c.threshold) {
      await appendEvent(
        tx,
        {
          conferenceId: c.conferenceId,
          type: 'tellers.failed',
          actor: null,
          data: { ...ev, qualified, threshold: c.threshold },
        },
        now,
      );
      return set(tx, c, { phase: 'failed', qualified });
    }
    const publicKey = pointToHex(jointPublicKey(dealings, qualified));
    await appendEvent(
      tx,
      { conferenceId: c.conferenceId, type: 'tellers.key_ready', actor: null, data: { ...ev, publicKey, qualified } },
      now,
    );
    return set(tx, c, { phase: 'ready', qualified, publicKey });
  }
  if (step === 'partial') {
    const partials = tellers.flatMap((t) => (t.partial ? [t.partial as PartialDecryption] : []));
    if (partials.length < c.threshold) return c;
    const ballots = await loadBallots(tx, c.id);
    const bound = ballots.reduce((a, b) => a + b.weight, 0);
    const shape = c.shape as BallotShape;
    let values: number[];
    try {
      values = combine((c.aggregate as CiphertextHex[]).map(ciphertextFromHex), partials, c.threshold, bound);
    } catch (err) {
      // Proven partials of the aggregate of proven ballots always combine below the bound.
      if (err instanceof TellerError) throw new Error(`the tellers' partials do not combine: ${err.message}`);
      throw err;
    }
    const totals = Object.fromEntries(shape.options.map((o, i) => [o, values[i]!]));
    const combined = [...partials.map((x) => x.index)].sort((a, b) => a - b).slice(0, c.threshold);
    await appendEvent(
      tx,
      { conferenceId: c.conferenceId, type: 'tellers.decrypted', actor: null, data: { ...ev, combined, totals } },
      now,
    );
    const next = await set(tx, c, { phase: 'decrypted', totals });
    const handler = decryptedHandlers.get(subject.kind);
    if (handler) await handler(ctx, tx, subject.id, totals);
    else ctx.log.warn({ subject: subject.kind }, 'e2e: decrypted, but no module declares the result');
    return next;
  }
  return c;
}

async function set(
  tx: Tx,
  c: CeremonyRow,
  patch: Partial<Pick<CeremonyRow, 'phase' | 'qualified' | 'publicKey' | 'totals'>>,
): Promise<CeremonyRow> {
  await updateCeremony(tx, c.id, patch);
  return { ...c, ...patch };
}

/**
 * The chair starts a failed ceremony again (fewer than k tellers qualified): every teller
 * publishes a new identity. Phase failed only.
 */
export async function restartCeremony(ctx: AppContext, p: Principal, subject: E2eSubject): Promise<CeremonyState> {
  return ctx.db.transaction(async (tx) => {
    const c = await lockForChange(tx, subject);
    if (c.phase !== 'failed')
      throw new DomainError(
        'conflict',
        'wrong_phase',
        `Only a failed ceremony restarts; this one is in phase ${c.phase}.`,
        {
          phase: c.phase,
        },
      );
    await clearTellerSteps(tx, c.id);
    const next = await set(tx, c, { phase: 'identities', qualified: null });
    await appendEvent(
      tx,
      {
        conferenceId: c.conferenceId,
        type: 'tellers.restarted',
        actor: p.accountId,
        data: { subjectKind: subject.kind, subjectId: subject.id },
      },
      ctx.clock(),
    );
    return stateOf(next, await loadTellers(tx, c.id));
  });
}
