/**
 * The tellers' key ceremony run in one process, for tests and the benchmark: every
 * teller's device is simulated here, but each step uses only what that teller would
 * hold (its own secret key, the published identities and dealings).
 */
import { fixedBase, pointToHex, type Point } from '../../src/domain/e2e/group.js';
import {
  createIdentity,
  deal,
  jointPublicKey,
  openShare,
  polynomial,
  qualifiedTellers,
  secretShare,
  type Complaint,
  type Dealing,
  type TellerIdentity,
  type TellerSecret,
} from '../../src/domain/e2e/tellers.js';

export interface Ceremony {
  context: string[];
  threshold: number;
  identities: TellerIdentity[];
  secrets: TellerSecret[];
  dealings: Dealing[];
  complaints: Complaint[];
  qualified: number[];
  /** Each qualified-set member's secret share s_l (index -> share). */
  shares: Map<number, bigint>;
  publicKey: Point;
}

/**
 * `cheat` may replace a teller's dealing before it is published: it gets the honest
 * dealing and the teller's polynomial, so it can re-sign what it changed, as a cheating
 * teller's device would.
 */
export async function ceremony(
  context: string[],
  n: number,
  threshold: number,
  cheat?: (d: Dealing, coefficients: bigint[], identities: TellerIdentity[]) => Promise<Dealing>,
): Promise<Ceremony> {
  const made = Array.from({ length: n }, (_, i) => createIdentity(context, i + 1));
  const identities = made.map((m) => m.identity);
  const secrets = made.map((m) => m.secret);
  const dealings: Dealing[] = [];
  for (const s of secrets) {
    const coefficients = polynomial(threshold);
    const d = await deal(context, s, coefficients, identities);
    dealings.push(cheat ? await cheat(d, coefficients, identities) : d);
  }
  const complaints: Complaint[] = [];
  const received = new Map<number, Map<number, bigint>>();
  for (const [i, s] of secrets.entries()) {
    const mine = new Map<number, bigint>();
    for (const d of dealings) {
      const opened = await openShare(context, s, identities[i]!, d);
      if (opened.ok) mine.set(d.index, opened.share);
      else complaints.push(opened.complaint);
    }
    received.set(s.index, mine);
  }
  const qualified = await qualifiedTellers(context, threshold, identities, dealings, complaints);
  const shares = new Map<number, bigint>();
  for (const l of qualified) shares.set(l, secretShare(qualified.map((i) => received.get(l)!.get(i)!)));
  const publicKey = fixedBase(pointToHex(jointPublicKey(dealings, qualified)));
  return { context, threshold, identities, secrets, dealings, complaints, qualified, shares, publicKey };
}
