import { describe, expect, it } from 'vitest';
import { aggregate, choiceValues, encryptBallot, verifyBallot, type BallotShape } from '../../src/domain/e2e/ballot.js';
import { ciphertextFromHex, ciphertextToHex, type Ciphertext } from '../../src/domain/e2e/elgamal.js';
import { pointFromHex, pointToHex, randomScalar, scalarFromHex } from '../../src/domain/e2e/group.js';
import {
  combine,
  complaintHolds,
  encryptShare,
  jointPublicKey,
  qualifiedTellers,
  signDealing,
  verificationKey,
  verifyDealing,
  verifyIdentity,
  verifyPartial,
  TellerError,
  type Complaint,
  type Dealing,
  type PartialDecryption,
  type TellerIdentity,
} from '../../src/domain/e2e/tellers.js';
import {
  newTellerKey,
  nextTellerStep,
  parseTellerKeyFile,
  type CeremonyState,
  type TellerKeyFile,
  type TellerAction,
} from '../../src/domain/e2e/teller-steps.js';

const VOTE: BallotShape = {
  options: ['yes', 'no', 'abstain'],
  groups: [{ id: 'all', options: ['yes', 'no', 'abstain'], min: 1, max: 1 }],
};
const CTX = ['vote', 'v-21'];

/**
 * A tiny service: it keeps the public state of section 10 and applies the tellers' bodies
 * with the rules of the routes (the phase, the proofs, the same body again is fine, another
 * one is refused), with the real crypto of src/domain/e2e.
 */
class Hall {
  state: CeremonyState;
  /** The weight of all ballots: the bound of the discrete logarithms. */
  private bound = 0;

  constructor(n: number, threshold: number) {
    this.state = {
      context: CTX,
      threshold,
      phase: 'identities',
      shape: VOTE,
      tellers: Array.from({ length: n }, (_, i) => ({ index: i + 1, accountId: `acc-${i + 1}`, name: `T${i + 1}` })),
      identities: [],
      dealings: [],
      checks: [],
      qualified: null,
      publicKey: null,
      aggregate: null,
      partials: [],
      totals: null,
    };
  }

  /** The state as it comes over the wire: JSON, so nothing shared with the teller's objects. */
  get(): CeremonyState {
    return JSON.parse(JSON.stringify(this.state)) as CeremonyState;
  }

  private stored<T extends { index: number }>(list: T[], index: number, body: T): boolean {
    const old = list.find((x) => x.index === index);
    if (old && JSON.stringify(old) !== JSON.stringify(body)) throw new Error('already_published');
    return old !== undefined;
  }

  async post(step: TellerAction, index: number): Promise<void> {
    const s = this.state;
    const n = s.tellers.length;
    const phase = (p: CeremonyState['phase']) => {
      if (s.phase !== p) throw new Error(`wrong_phase: ${s.phase}`);
    };
    switch (step.kind) {
      case 'identity':
        if (this.stored(s.identities, index, step.body)) return;
        phase('identities');
        if (step.body.index !== index || !verifyIdentity(CTX, step.body)) throw new Error('invalid_teller_proof');
        s.identities.push(step.body);
        if (s.identities.length === n) s.phase = 'dealings';
        return;
      case 'dealing':
        if (this.stored(s.dealings, index, step.body)) return;
        phase('dealings');
        if (step.body.index !== index || !verifyDealing(CTX, step.body, s.threshold, s.identities))
          throw new Error('invalid_teller_proof');
        s.dealings.push(step.body);
        if (s.dealings.length === n) s.phase = 'checks';
        return;
      case 'checks': {
        if (this.stored(s.checks, index, { index, complaints: step.body.complaints })) return;
        phase('checks');
        s.checks.push({ index, complaints: step.body.complaints });
        if (s.checks.length < n) return;
        const complaints = s.checks.flatMap((c) => c.complaints);
        const qualified = await qualifiedTellers(CTX, s.threshold, s.identities, s.dealings, complaints);
        s.qualified = qualified;
        if (qualified.length < s.threshold) {
          s.phase = 'failed';
          return;
        }
        s.publicKey = pointToHex(jointPublicKey(s.dealings, qualified));
        s.phase = 'ready';
        return;
      }
      case 'partial': {
        if (this.stored(s.partials, index, step.body)) return;
        phase('decrypting');
        const aggregate = s.aggregate!.map(ciphertextFromHex);
        const yl = verificationKey(s.dealings, s.qualified!, index);
        if (step.body.index !== index || !verifyPartial(CTX, yl, aggregate, step.body))
          throw new Error('invalid_teller_proof');
        s.partials.push(step.body);
        if (s.partials.length < s.threshold) return;
        const totals = combine(aggregate, s.partials, s.threshold, this.bound);
        s.totals = Object.fromEntries(VOTE.options.map((o, i) => [o, totals[i]!]));
        s.phase = 'decrypted';
        return;
      }
      case 'wait':
      case 'done':
        throw new Error(`nothing to post for ${step.kind}`);
    }
  }

  restart(): void {
    if (this.state.phase !== 'failed') throw new Error('wrong_phase');
    Object.assign(this.state, { phase: 'identities', identities: [], dealings: [], checks: [], qualified: null });
  }

  /** The phones' ballots, checked and added up as the service does at close. */
  close(ballots: { seat: string; weight: number; choice: string }[]): void {
    const y = pointFromHex(this.state.publicKey!);
    const cts: Ciphertext[][] = ballots.map((b) => {
      const statement = { context: [...CTX, 'seat', b.seat], weight: b.weight, split: false };
      const { ballot } = encryptBallot(VOTE, statement, y, choiceValues(VOTE, b.weight, [b.choice]));
      const check = verifyBallot(VOTE, statement, y, JSON.parse(JSON.stringify(ballot)));
      if (!check.ok) throw new Error(check.reason);
      return check.cts;
    });
    this.bound = ballots.reduce((a, b) => a + b.weight, 0);
    this.state.aggregate = aggregate(VOTE, cts).map(ciphertextToHex);
    this.state.phase = 'decrypting';
  }
}

/** A teller's device: the key file goes through JSON (disk, the browser's storage) at every step. */
class Device {
  file: string;
  posted: TellerAction[] = [];

  constructor(key: TellerKeyFile) {
    this.file = JSON.stringify(key);
  }

  get key(): TellerKeyFile {
    return parseTellerKeyFile(JSON.parse(this.file));
  }

  async step(state: CeremonyState): Promise<TellerAction> {
    const { step, key } = await nextTellerStep(state, this.key);
    this.file = JSON.stringify(key);
    return step;
  }

  /** Steps and posts until this teller has to wait. */
  async run(hall: Hall): Promise<TellerAction> {
    for (;;) {
      const step = await this.step(hall.get());
      if (step.kind === 'wait' || step.kind === 'done') return step;
      await hall.post(step, this.key.index);
      this.posted.push(step);
    }
  }
}

/** One step of one device, posted. */
async function once(hall: Hall, d: Device): Promise<void> {
  const step = await d.step(hall.get());
  if (step.kind === 'wait' || step.kind === 'done') throw new Error(`teller ${d.key.index} has to wait`);
  await hall.post(step, d.key.index);
}

/** Every device in turn until none has anything to post. */
async function runAll(hall: Hall, devices: Device[]): Promise<TellerAction[]> {
  let last: TellerAction[] = [];
  for (let round = 0; round < 10; round++) {
    const before = devices.map((d) => d.posted.length);
    last = [];
    for (const d of devices) last.push(await d.run(hall));
    if (devices.every((d, i) => d.posted.length === before[i])) return last;
  }
  throw new Error('the ceremony does not settle');
}

const BALLOTS = [
  { seat: 's1', weight: 3, choice: 'yes' },
  { seat: 's2', weight: 1, choice: 'no' },
  { seat: 's3', weight: 2, choice: 'yes' },
  { seat: 's4', weight: 5, choice: 'abstain' },
  { seat: 's5', weight: 1, choice: 'no' },
];
const TOTALS = { yes: 5, no: 2, abstain: 5 };

const devices = (n: number) => Array.from({ length: n }, (_, i) => new Device(newTellerKey(CTX, i + 1)));

describe('a teller steps through the ceremony from the public state and its key file', () => {
  it('3 tellers (2 needed) reach ready; 2 partials decrypt the ballots to the right totals', async () => {
    const hall = new Hall(3, 2);
    const ds = devices(3);
    const waits = await runAll(hall, ds);
    expect(hall.state.phase).toBe('ready');
    expect(hall.state.qualified).toEqual([1, 2, 3]);
    expect(waits.map((w) => w.kind === 'wait' && w.reason)).toEqual(
      Array(3).fill('the election key is ready: waiting for the vote to close'),
    );
    // Past the checks a device holds s_l and no longer the polynomial or the single shares.
    for (const d of ds) {
      const k = d.key;
      expect(k.share).toMatch(/^[0-9a-f]{64}$/);
      expect(k.polynomial).toBeUndefined();
      expect(k.received).toBeUndefined();
    }
    expect(ds.map((d) => d.posted.map((s) => s.kind))).toEqual(Array(3).fill(['identity', 'dealing', 'checks']));

    hall.close(BALLOTS);
    // Teller 3 is away: 1 and 2 decrypt.
    expect(await ds[0]!.run(hall)).toEqual({
      kind: 'wait',
      reason: 'waiting for 1 more partial decryption(s) (from tellers 2, 3)',
      why: { code: 'partials', more: 1, tellers: '2, 3' },
    });
    expect(hall.state.phase).toBe('decrypting');
    expect(await ds[1]!.run(hall)).toEqual({ kind: 'done' });
    expect(hall.state.phase).toBe('decrypted');
    expect(hall.state.totals).toEqual(TOTALS);
    expect(await ds[2]!.step(hall.get())).toEqual({ kind: 'done' });
    expect(hall.state.partials.map((p) => p.index)).toEqual([1, 2]);
  });

  it('one teller alone cannot decrypt: after 1 partial the state is still decrypting', async () => {
    const hall = new Hall(3, 2);
    const ds = devices(3);
    await runAll(hall, ds);
    hall.close(BALLOTS);
    await ds[2]!.run(hall);
    expect(hall.state.phase).toBe('decrypting');
    expect(hall.state.totals).toBeNull();
  });

  it('a retried step (its answer lost) sends the very same body, which the service takes again', async () => {
    const hall = new Hall(3, 2);
    const ds = devices(3);
    const bodies: Record<string, unknown[]> = {};
    const retryEach = async () => {
      for (const d of ds) {
        const first = await d.step(hall.get());
        if (first.kind === 'wait' || first.kind === 'done') continue;
        await hall.post(first, d.key.index);
        // The answer was lost: the device steps again from the state it had before, and
        // again from the file it saved before posting.
        const again = await nextTellerStep(JSON.parse(JSON.stringify(hallBefore(hall, first, d.key.index))), d.key);
        expect(again.step).toEqual(first);
        await hall.post(again.step, d.key.index);
        (bodies[first.kind] ??= []).push(first);
      }
    };
    for (let i = 0; i < 3; i++) await retryEach();
    expect(hall.state.phase).toBe('ready');
    hall.close(BALLOTS);
    await retryEach();
    expect(Object.keys(bodies).sort()).toEqual(['checks', 'dealing', 'identity', 'partial']);
    expect(hall.state.totals).toEqual(TOTALS);
    // A different body once one is stored is refused: the service must never take two.
    const other = newTellerKey(CTX, 1).identity!;
    await expect(hall.post({ kind: 'identity', body: other }, 1)).rejects.toThrow('already_published');
  });

  it('a dealer who sends a bad share gets a complaint that holds, and the other two still decrypt', async () => {
    const hall = new Hall(3, 2);
    const ds = devices(3);
    for (const d of ds) await once(hall, d); // identities
    for (const d of ds.slice(0, 2)) await once(hall, d);
    // Teller 3's device cheats: its share to teller 1 is of another value, re-signed so
    // the dealing still passes the public checks.
    const honest = await ds[2]!.step(hall.get());
    if (honest.kind !== 'dealing') throw new Error(`expected a dealing, got ${honest.kind}`);
    const coefficients = ds[2]!.key.polynomial!.map(scalarFromHex);
    const wrong = await encryptShare(CTX, 3, hall.state.identities[0]!, randomScalar());
    const bad: Dealing = signDealing(
      CTX,
      3,
      coefficients[0]!,
      honest.body.commitments,
      honest.body.shares.map((s) => (s.to === 1 ? wrong : s)),
    );
    await hall.post({ kind: 'dealing', body: bad }, 3);
    await runAll(hall, ds);

    const complaints: Complaint[] = hall.state.checks.flatMap((c) => c.complaints);
    expect(complaints.map((c) => [c.accuser, c.accused])).toEqual([[1, 3]]);
    expect(await complaintHolds(CTX, complaints[0]!, hall.state.identities[0]!, bad)).toBe(true);
    expect(hall.state.phase).toBe('ready');
    expect(hall.state.qualified).toEqual([1, 2]);
    expect(await ds[2]!.step(hall.get())).toEqual({
      kind: 'wait',
      reason: 'teller 3 is not in the qualified set (1, 2): it has nothing more to do',
      why: { code: 'not_qualified', index: 3, qualified: '1, 2' },
      final: true,
    });
    hall.close(BALLOTS);
    await runAll(hall, ds);
    expect(hall.state.totals).toEqual(TOTALS);
  });

  it('after a failed ceremony is restarted, every teller deals a fresh polynomial', async () => {
    // 3 of 3 needed: one bad dealer leaves 2 qualified, too few.
    const hall = new Hall(3, 3);
    const ds = devices(3);
    for (const d of ds) await once(hall, d);
    for (const d of ds.slice(1)) await once(hall, d);
    const honest = await ds[0]!.step(hall.get());
    if (honest.kind !== 'dealing') throw new Error(`expected a dealing, got ${honest.kind}`);
    const coefficients = ds[0]!.key.polynomial!.map(scalarFromHex);
    const bad = signDealing(
      CTX,
      1,
      coefficients[0]!,
      honest.body.commitments,
      honest.body.shares.map((s) => (s.to === 2 ? { ...s, ciphertext: flip(s.ciphertext) } : s)),
    );
    await hall.post({ kind: 'dealing', body: bad }, 1);
    const waits = await runAll(hall, ds);
    expect(hall.state.phase).toBe('failed');
    expect(waits[0]).toEqual({
      kind: 'wait',
      reason: 'fewer than 3 tellers qualified: the chair must restart the ceremony',
      why: { code: 'failed', k: 3 },
    });
    const oldDealings = hall.state.dealings;

    hall.restart();
    await runAll(hall, ds);
    expect(hall.state.phase).toBe('ready');
    expect(hall.state.qualified).toEqual([1, 2, 3]);
    // The same identities again (kept in the key files), but no commitment of the failed round.
    for (const d of hall.state.dealings) {
      const old = oldDealings.find((x) => x.index === d.index)!;
      expect(d.commitments.some((c) => old.commitments.includes(c))).toBe(false);
    }
    hall.close(BALLOTS);
    await runAll(hall, ds);
    expect(hall.state.totals).toEqual(TOTALS);
  });

  it("refuses a key file of another vote, or one that is not the file that published the teller's identity", async () => {
    const hall = new Hall(3, 2);
    const err = await nextTellerStep(hall.get(), newTellerKey(['vote', 'v-other'], 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TellerError);
    expect((err as TellerError).code).toBe('wrong_context');
    expect((err as TellerError).message).toContain('another vote');

    const ds = devices(3);
    await ds[0]!.run(hall);
    const err2 = await nextTellerStep(hall.get(), newTellerKey(CTX, 1)).catch((e: unknown) => e);
    expect((err2 as TellerError).code).toBe('wrong_key_file');

    const err3 = await nextTellerStep(hall.get(), newTellerKey(CTX, 4)).catch((e: unknown) => e);
    expect((err3 as TellerError).code).toBe('not_teller');

    expect(() => parseTellerKeyFile({ ...newTellerKey(CTX, 1), format: 'plenary-teller-key/0' })).toThrow(
      'not a teller key file',
    );
    expect(() => parseTellerKeyFile({ ...newTellerKey(CTX, 1), identitySecret: 'ff'.repeat(32) })).toThrow(
      'not a teller key file',
    );
  });

  it('a key file without its identity (made elsewhere) gets the identity of its own secret', async () => {
    const hall = new Hall(1, 1);
    const { identity: _i, ...bare } = newTellerKey(CTX, 1);
    const { step, key } = await nextTellerStep(hall.get(), bare);
    if (step.kind !== 'identity') throw new Error(`expected an identity, got ${step.kind}`);
    expect(verifyIdentity(CTX, step.body)).toBe(true);
    expect(key.identity).toEqual(step.body);
    const again = await nextTellerStep(hall.get(), key);
    expect(again.step).toEqual(step);
  });
});

const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

/** The state the device saw before its post was applied (to retry as if the answer was lost). */
function hallBefore(hall: Hall, step: TellerAction, index: number): CeremonyState {
  const s = hall.get();
  const drop = <T extends { index: number }>(list: T[]) => list.filter((x) => x.index !== index);
  switch (step.kind) {
    case 'identity':
      return { ...s, phase: 'identities', identities: drop<TellerIdentity>(s.identities) };
    case 'dealing':
      return { ...s, phase: 'dealings', dealings: drop<Dealing>(s.dealings), checks: [], qualified: null };
    case 'checks':
      return { ...s, phase: 'checks', checks: drop(s.checks), qualified: null, publicKey: null };
    case 'partial':
      return { ...s, phase: 'decrypting', partials: drop<PartialDecryption>(s.partials), totals: null };
    case 'wait':
    case 'done':
      return s;
  }
}
