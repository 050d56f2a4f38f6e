import type { BallotShape } from './ballot.js';
import type { CiphertextHex } from './elgamal.js';
import type { Complaint, Dealing, PartialDecryption, TellerIdentity } from './tellers.js';

/**
 * The tellers' ceremony of one vote or election as anyone may read it (GET .../tellers,
 * docs/e2e-ballots.md section 10). Pure types: the teller's device (src/domain/e2e/
 * teller-steps.ts, the /trustee page, the CLI) computes its next step from this alone.
 */
/** Tellers per ceremony: at most 9 (docs section 10), so every step stays small. */
export const MAX_TELLERS = 9;

export const CEREMONY_PHASES = [
  'identities',
  'dealings',
  'checks',
  'ready',
  'failed',
  'decrypting',
  'decrypted',
] as const;
export type CeremonyPhase = (typeof CEREMONY_PHASES)[number];

/** The steps a teller posts, in order; each is accepted in one phase only. */
export const TELLER_STEPS = ['identity', 'dealing', 'checks', 'partial'] as const;
export type TellerStep = (typeof TELLER_STEPS)[number];

/** The phase in which each step is accepted. */
export const STEP_PHASE: Record<TellerStep, CeremonyPhase> = {
  identity: 'identities',
  dealing: 'dealings',
  checks: 'checks',
  partial: 'decrypting',
};

export interface CeremonyState {
  /** The base context: ["vote", id] or ["election", id, "round", "1"]. */
  context: string[];
  threshold: number;
  phase: CeremonyPhase;
  shape: BallotShape;
  /** Teller i is the account at index i (1-based); `name` is the delegate's or the username. */
  tellers: { index: number; accountId: string; name: string }[];
  /** Published so far, by index. */
  identities: TellerIdentity[];
  dealings: Dealing[];
  /** Each teller that has done its checks, with its complaints ([] when all its shares were good). */
  checks: { index: number; complaints: Complaint[] }[];
  qualified: number[] | null;
  publicKey: string | null;
  aggregate: CiphertextHex[] | null;
  partials: PartialDecryption[];
  totals: Record<string, number> | null;
}
