/**
 * The phone's encryption of a `secret_e2e` ballot (docs/e2e-ballots.md), in a dedicated
 * worker: the key's window table (about 0.3 s on the phone profile) and each ballot's
 * proofs run off the page's thread, so the page never freezes while the voter taps.
 * Built on its own by web/server/assets.ts and started by client/e2e-ballot.ts only when
 * an encrypted vote is on screen: the hall's JavaScript for every other vote is unchanged.
 *
 * The randomness of a cast ballot lives only inside one `seal` call and is dropped with
 * it; a `challenge` reveals it (that ballot is spoilt and never cast).
 */
import { ballotTracker, encryptBallot, openBallot, type BallotShape } from '../../src/domain/e2e/ballot.js';
import { fixedBase } from '../../src/domain/e2e/group.js';
import type { E2eRequest, E2eReply, SealRequest } from './e2e-protocol.js';

interface WorkerScope {
  addEventListener(type: 'message', fn: (e: MessageEvent<E2eRequest>) => void): void;
  postMessage(message: E2eReply): void;
}
const scope = globalThis as unknown as WorkerScope;

const WARM_UP: BallotShape = {
  options: ['yes', 'no', 'abstain'],
  groups: [{ id: 'all', options: ['yes', 'no', 'abstain'], min: 1, max: 1 }],
};

function statementOf(r: SealRequest) {
  return { context: [...r.e2e.context, 'seat', r.seatId], weight: r.weight, split: r.split };
}

scope.addEventListener('message', (e) => {
  const r = e.data;
  void (async (): Promise<E2eReply> => {
    try {
      if (r.type === 'prepare') {
        const started = performance.now();
        const y = fixedBase(r.publicKey);
        // One throwaway encryption warms the JIT: the voter's first ballot is then as fast as the next.
        encryptBallot(WARM_UP, { context: ['warm-up'], weight: 1, split: false }, y, { yes: 1 });
        return { id: r.id, type: 'prepared', ms: performance.now() - started };
      }
      const started = performance.now();
      const statement = statementOf(r);
      const y = fixedBase(r.e2e.publicKey);
      const { ballot, secrets } = encryptBallot(r.e2e.shape, statement, y, r.values);
      const tracker = await ballotTracker(ballot);
      const ms = performance.now() - started;
      if (r.type === 'seal') return { id: r.id, type: 'sealed', ballot, tracker, ms };
      // Benaloh: open the ballot with its own randomness, as any other device could.
      const opened = openBallot(r.e2e.shape, statement, y, ballot, secrets);
      const audit = JSON.stringify({
        context: statement.context,
        weight: statement.weight,
        split: statement.split,
        publicKey: r.e2e.publicKey,
        shape: r.e2e.shape,
        ballot,
        randomness: secrets,
      });
      return { id: r.id, type: 'opened', opened, tracker, audit, ms };
    } catch (err) {
      return { id: r.id, type: 'failed', message: (err as Error).message };
    }
  })().then((reply) => scope.postMessage(reply));
});
