/**
 * What the tests of the e2e module share: tellers' devices simulated with the real crypto
 * (each holds only its own secrets and reads the public state over HTTP, as the /trustee
 * page or the CLI would), and a secret_e2e subject made of a real draft vote row.
 */
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { accounts } from '../../src/db/schema.js';
import type { TestApp } from '../support/test-app.js';
import type { ConferenceFixture } from '../support/fixtures.js';
import { bearer } from '../support/auth.js';
import type { CeremonyState } from '../../src/domain/e2e/ceremony.js';
import { ciphertextFromHex } from '../../src/domain/e2e/elgamal.js';
import {
  createIdentity,
  deal,
  openShare,
  partialDecrypt,
  polynomial,
  secretShare,
  type Complaint,
  type Dealing,
  type PartialDecryption,
  type TellerIdentity,
  type TellerSecret,
} from '../../src/domain/e2e/tellers.js';

export type Kind = 'vote' | 'election';

export const base = (kind: Kind, id: string) => (kind === 'vote' ? `/api/v1/votes/${id}` : `/api/v1/elections/${id}`);

export async function accountIdOf(t: TestApp, username: string): Promise<string> {
  const [a] = await t.ctx.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.username, username));
  if (!a) throw new Error(`no account ${username}`);
  return a.id;
}

/** A draft vote through the real API (today's secret mode: the votes module wires secret_e2e). */
export async function draftVote(t: TestApp, f: ConferenceFixture): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/conferences/${f.conferenceId}/votes`,
    headers: bearer(await f.chairToken()),
    payload: { subject: { type: 'motion' }, mode: 'secret' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

export async function getState(t: TestApp, kind: Kind, id: string, token?: string) {
  return t.app.inject({
    method: 'GET',
    url: `${base(kind, id)}/tellers`,
    headers: token ? bearer(token) : {},
  });
}

export async function state(t: TestApp, kind: Kind, id: string): Promise<CeremonyState> {
  const res = await getState(t, kind, id);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<CeremonyState>();
}

export function post(t: TestApp, kind: Kind, id: string, path: string, token: string | null, payload?: unknown) {
  return t.app.inject({
    method: 'POST',
    url: `${base(kind, id)}/tellers/${path}`,
    headers: token ? bearer(token) : {},
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

/**
 * One teller's device: its secrets never leave it; `cheat` may change its dealing before it
 * is published (re-signed, as a cheating device would).
 */
export class TellerDevice {
  secret!: TellerSecret;
  identity!: TellerIdentity;
  dealing!: Dealing;
  complaints: Complaint[] = [];
  share: bigint | null = null;
  private received = new Map<number, bigint>();

  constructor(
    readonly index: number,
    readonly token: string,
  ) {}

  makeIdentity(context: string[]): TellerIdentity {
    const made = createIdentity(context, this.index);
    this.secret = made.secret;
    this.identity = made.identity;
    return this.identity;
  }

  async makeDealing(
    s: CeremonyState,
    cheat?: (d: Dealing, coefficients: bigint[], identities: TellerIdentity[]) => Promise<Dealing>,
  ): Promise<Dealing> {
    const coefficients = polynomial(s.threshold);
    const honest = await deal(s.context, this.secret, coefficients, s.identities);
    this.dealing = cheat ? await cheat(honest, coefficients, s.identities) : honest;
    return this.dealing;
  }

  async makeChecks(s: CeremonyState): Promise<{ index: number; complaints: Complaint[] }> {
    this.complaints = [];
    for (const d of s.dealings) {
      const opened = await openShare(s.context, this.secret, this.identity, d);
      if (opened.ok) this.received.set(d.index, opened.share);
      else this.complaints.push(opened.complaint);
    }
    return { index: this.index, complaints: this.complaints };
  }

  /** After the checks: s_l from the qualified tellers' shares. */
  takeShare(s: CeremonyState): void {
    this.share = secretShare(s.qualified!.map((i) => this.received.get(i)!));
  }

  makePartial(s: CeremonyState, share = this.share): PartialDecryption {
    return partialDecrypt(s.context, this.index, share!, s.aggregate!.map(ciphertextFromHex));
  }
}

/** Runs the whole key ceremony over HTTP; answers the state once every check is in. */
export async function runCeremony(
  t: TestApp,
  kind: Kind,
  id: string,
  devices: TellerDevice[],
  cheat?: Record<number, (d: Dealing, coefficients: bigint[], identities: TellerIdentity[]) => Promise<Dealing>>,
): Promise<CeremonyState> {
  let s = await state(t, kind, id);
  for (const d of devices) {
    const res = await post(t, kind, id, `${d.index}/identity`, d.token, d.makeIdentity(s.context));
    expect(res.statusCode, res.body).toBe(200);
  }
  s = await state(t, kind, id);
  expect(s.phase).toBe('dealings');
  for (const d of devices) {
    const res = await post(t, kind, id, `${d.index}/dealing`, d.token, await d.makeDealing(s, cheat?.[d.index]));
    expect(res.statusCode, res.body).toBe(200);
  }
  s = await state(t, kind, id);
  expect(s.phase).toBe('checks');
  for (const d of devices) {
    const res = await post(t, kind, id, `${d.index}/checks`, d.token, await d.makeChecks(s));
    expect(res.statusCode, res.body).toBe(200);
  }
  s = await state(t, kind, id);
  if (s.phase === 'ready') for (const d of devices.filter((x) => s.qualified!.includes(x.index))) d.takeShare(s);
  return s;
}
