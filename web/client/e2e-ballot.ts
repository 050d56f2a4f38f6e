/**
 * The phone page's side of the encrypted ballots: one worker (client/e2e-worker.ts),
 * started the first time an encrypted vote is on screen, asked to prepare the vote's key
 * at once (while the voter reads the question) and then to seal or challenge ballots.
 * Only the sealed ballot and its tracker come back for casting; the randomness never
 * leaves the worker unless the voter asks to check a ballot, which is then spoilt.
 */
import type { Ballot } from '../../src/domain/e2e/ballot.js';
import type { E2eCastable, E2eReply, E2eRequest, SealRequest } from './e2e-protocol.js';

export type { E2eCastable };

type Reply<K extends E2eReply['type']> = Extract<E2eReply, { type: K }>;
/** A request before its id is given (Omit over each member of the union, not over the union). */
type Unnumbered<R> = R extends unknown ? Omit<R, 'id'> : never;

export class E2eBallots {
  private worker: Worker | null = null;
  private next = 1;
  private readonly waiting = new Map<number, (r: E2eReply) => void>();
  private readonly prepared = new Set<string>();

  constructor(private readonly workerUrl: string) {}

  private ask(req: Unnumbered<E2eRequest>): Promise<E2eReply> {
    if (!this.worker) {
      this.worker = new Worker(this.workerUrl);
      this.worker.addEventListener('message', (e: MessageEvent<E2eReply>) => {
        this.waiting.get(e.data.id)?.(e.data);
        this.waiting.delete(e.data.id);
      });
    }
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.worker!.postMessage({ ...req, id } as E2eRequest);
    });
  }

  /** The key's tables and a warm-up, once per key, ahead of the voter's first tap. */
  prepare(publicKey: string): void {
    if (this.prepared.has(publicKey)) return;
    this.prepared.add(publicKey);
    void this.ask({ type: 'prepare', publicKey });
  }

  async seal(r: Omit<SealRequest, 'id' | 'type'>): Promise<{ ballot: Ballot; tracker: string; ms: number }> {
    return expect(await this.ask({ ...r, type: 'seal' }), 'sealed');
  }

  async challenge(r: Omit<SealRequest, 'id' | 'type'>): Promise<Omit<Reply<'opened'>, 'id' | 'type'>> {
    return expect(await this.ask({ ...r, type: 'challenge' }), 'opened');
  }
}

function expect<K extends E2eReply['type']>(r: E2eReply, type: K): Reply<K> {
  if (r.type === 'failed') throw new Error(r.message);
  if (r.type !== type) throw new Error(`unexpected ${r.type}`);
  return r as Reply<K>;
}
