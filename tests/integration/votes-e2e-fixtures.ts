/**
 * The client side of a secret_e2e vote for integration tests: teller devices that run the
 * key ceremony and the partial decryption over the real routes, holding their secrets as a
 * teller's own device would (src/domain/e2e/tellers.ts), and phones that encrypt ballots
 * (src/domain/e2e/ballot.ts) from what GET .../castable gives them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { encrypt, sum, type Ciphertext } from '../../src/domain/e2e/elgamal.js';
import { ciphertextToHex, ciphertextFromHex, discreteLog, decryptToPoint } from '../../src/domain/e2e/elgamal.js';
import { fixedBase, mod, ORDER, randomScalar } from '../../src/domain/e2e/group.js';
import { proveMembership } from '../../src/domain/e2e/proofs.js';
import {
  choiceValues,
  encryptBallot,
  verifyBallot,
  type Ballot,
  type BallotSecrets,
  type BallotShape,
  type BallotStatement,
} from '../../src/domain/e2e/ballot.js';
import {
  createIdentity,
  deal,
  lagrangeAtZero,
  openShare,
  partialDecrypt,
  polynomial,
  secretShare,
  type Complaint,
  type Dealing,
  type TellerIdentity,
  type TellerSecret,
} from '../../src/domain/e2e/tellers.js';
import type { AppHandle, ConferenceFixture } from '../support/fixtures.js';
import { signIn } from '../support/fixtures.js';
import { bearer } from '../support/auth.js';

export interface TellersState {
  context: string[];
  threshold: number;
  phase: string;
  shape: BallotShape;
  tellers: { index: number; accountId: string; name: string }[];
  identities: TellerIdentity[];
  dealings: Dealing[];
  checks: { index: number; complaints: Complaint[] }[];
  qualified: number[] | null;
  publicKey: string | null;
  aggregate: { a: string; b: string }[] | null;
  partials: unknown[];
  totals: Record<string, number> | null;
}

export interface E2eKey {
  context: string[];
  publicKey: string;
  shape: BallotShape;
}

/** Staff accounts of the conference that act as tellers (any enabled account may be one). */
export async function createTellerAccounts(
  t: AppHandle,
  f: ConferenceFixture,
  n: number,
): Promise<{ accountId: string; token: string; username: string }[]> {
  const admin = await f.adminToken();
  const out = [];
  for (let i = 0; i < n; i++) {
    const username = `teller-${i + 1}-${randomBytes(3).toString('hex')}`;
    const password = `teller-pass-${randomBytes(6).toString('hex')}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/accounts',
      headers: bearer(admin),
      payload: { username, password, role: 'auditor', conferenceId: f.conferenceId },
    });
    if (res.statusCode !== 201) throw new Error(`teller account: ${res.statusCode} ${res.body}`);
    out.push({ accountId: res.json<{ id: string }>().id, token: await signIn(t, { username, password }), username });
  }
  return out;
}

/** One teller's device: its identity secret, its polynomial and, after the checks, its share. */
export class TellerDevice {
  readonly secret: TellerSecret;
  readonly identity: TellerIdentity;
  coefficients: bigint[] | null = null;
  share: bigint | null = null;

  constructor(
    private readonly t: AppHandle,
    readonly index: number,
    readonly token: string,
    readonly context: string[],
    readonly base: string,
  ) {
    const made = createIdentity(context, index);
    this.secret = made.secret;
    this.identity = made.identity;
  }

  private post(step: string, payload: unknown) {
    return this.t.app.inject({
      method: 'POST',
      url: `${this.base}/tellers/${this.index}/${step}`,
      headers: bearer(this.token),
      payload: payload as Record<string, unknown>,
    });
  }

  async state(): Promise<TellersState> {
    const res = await this.t.app.inject({ url: `${this.base}/tellers`, headers: bearer(this.token) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<TellersState>();
  }

  async publishIdentity() {
    return this.post('identity', this.identity);
  }

  async publishDealing(state: TellersState) {
    this.coefficients ??= polynomial(state.threshold);
    return this.post('dealing', await deal(this.context, this.secret, this.coefficients, state.identities));
  }

  async publishChecks(state: TellersState) {
    const complaints: Complaint[] = [];
    const received = new Map<number, bigint>();
    for (const d of state.dealings) {
      const opened = await openShare(this.context, this.secret, this.identity, d);
      if (opened.ok) received.set(d.index, opened.share);
      else complaints.push(opened.complaint);
    }
    this.received = received;
    return this.post('checks', { index: this.index, complaints });
  }

  private received = new Map<number, bigint>();

  /** s_l from the qualified dealers' shares, once the service has published the qualified set. */
  takeShare(qualified: number[]): bigint {
    this.share = secretShare(qualified.map((i) => this.received.get(i)!));
    return this.share;
  }

  async publishPartial(state: TellersState) {
    const aggregate = state.aggregate!.map((c) => ciphertextFromHex(c));
    this.takeShare(state.qualified!);
    return this.post('partial', partialDecrypt(this.context, this.index, this.share!, aggregate));
  }
}

/** Runs the ceremony of a vote's tellers through the routes until its key is ready. */
export async function runCeremony(devices: TellerDevice[]): Promise<TellersState> {
  for (const d of devices) expect((await d.publishIdentity()).statusCode).toBe(200);
  let state = await devices[0]!.state();
  expect(state.phase).toBe('dealings');
  for (const d of devices) expect((await d.publishDealing(state)).statusCode).toBe(200);
  state = await devices[0]!.state();
  expect(state.phase).toBe('checks');
  for (const d of devices) expect((await d.publishChecks(state)).statusCode).toBe(200);
  state = await devices[0]!.state();
  expect(state.phase).toBe('ready');
  for (const d of devices) d.takeShare(state.qualified!);
  return state;
}

/** x = sum of lambda_l s_l over k tellers: the joint secret no one holds (the cross-check only). */
export function jointSecret(devices: TellerDevice[]): bigint {
  const indices = devices.map((d) => d.index);
  return mod(devices.reduce((acc, d) => acc + lagrangeAtZero(indices, d.index) * d.share!, 0n));
}

export const statementOf = (key: E2eKey, seatId: string, weight: number, split = false): BallotStatement => ({
  context: [...key.context, 'seat', seatId],
  weight,
  split,
});

/** The phone: a choice ballot (the seat's weight on one option) or a split, with its randomness. */
export function phoneBallot(
  key: E2eKey,
  seatId: string,
  weight: number,
  vote: 'yes' | 'no' | 'abstain' | Record<string, number>,
): { ballot: Ballot; secrets: BallotSecrets; split: boolean } {
  const split = typeof vote !== 'string';
  const values = split ? vote : choiceValues(key.shape, weight, [vote]);
  const y = fixedBase(key.publicKey);
  return { ...encryptBallot(key.shape, statementOf(key, seatId, weight, split), y, values), split };
}

/**
 * A ballot a cheating phone would send: each option encrypts the given value, proven as a
 * member of {0, claimed} (or {claimed} for the group), so every proof is well formed but
 * proves the wrong statement. The service must refuse it (invalid_ballot_proof).
 */
export function forgedBallot(
  key: E2eKey,
  seatId: string,
  weight: number,
  values: Record<string, bigint>,
): Ballot {
  const y = fixedBase(key.publicKey);
  const ctx = [...key.context, 'seat', seatId];
  const cts = new Map<string, { ct: Ciphertext; r: bigint }>();
  const options = key.shape.options.map((id) => {
    const m = values[id] ?? 0n;
    const r = randomScalar();
    const ct = encrypt(m, y, r);
    cts.set(id, { ct, r });
    const set = m === 0n ? [0n, BigInt(weight)] : [0n, m];
    return { id, ct: ciphertextToHex(ct), proof: proveMembership([...ctx, 'option', id], y, ct, set, m === 0n ? 0 : 1, r) };
  });
  const groups = key.shape.groups.map((g) => {
    const ct = sum(g.options.map((o) => cts.get(o)!.ct));
    const r = mod(g.options.reduce((acc, o) => acc + cts.get(o)!.r, 0n));
    const total = mod(g.options.reduce((acc, o) => acc + (values[o] ?? 0n), 0n));
    return { id: g.id, proof: proveMembership([...ctx, 'group', g.id], y, ct, [total], 0, r) };
  });
  return { options, groups };
}

export const NEGATIVE = (w: number) => ORDER - BigInt(w);

/** Decrypts one stored ballot with the joint secret: what each option holds (the cross-check). */
export function decryptBallot(
  key: E2eKey,
  x: bigint,
  b: { seatId: string; weight: number; split: boolean; ballot: unknown },
): Record<string, number> {
  const check = verifyBallot(key.shape, statementOf(key, b.seatId, b.weight, b.split), fixedBase(key.publicKey), b.ballot);
  if (!check.ok) throw new Error(`stored ballot of ${b.seatId} does not verify: ${check.reason}`);
  return Object.fromEntries(
    key.shape.options.map((o, i) => [o, discreteLog(decryptToPoint(check.cts[i]!, x), b.weight)!]),
  );
}

export const newKey = () => randomUUID();
