/** What the orchestrator asks of the load generator (bench/load.ts), and what it answers. */
export interface LoadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadJob {
  kind: 'load';
  url: string;
  connections: number;
  /** Each request once, in order... */
  requests?: LoadRequest[];
  /** ...or this one `amount` times. */
  repeat?: { request: LoadRequest; amount: number };
  /** The status a successful answer has. */
  expectStatus: number;
  /**
   * Open loop: request i is due at i / ratePerSecond seconds from the start, whatever the
   * answers before it (delegates do not wait for each other), and its latency counts from
   * that moment, so a service that falls behind is charged for the wait.
   */
  ratePerSecond?: number;
  /**
   * A request without an answer after this long fails (default 30 s). Encrypted ballots
   * wait in the proof workers' queue: a burst of them is slower than 30 s on a small machine.
   */
  timeoutMs?: number;
}

/**
 * A clause-by-clause sitting: for each vote in order the chair opens it, every delegate
 * votes (over `connections` connections), the chair closes it; the cycle is timed from
 * the open request to the close answer.
 */
export interface SittingJob {
  kind: 'sitting';
  url: string;
  connections: number;
  chairToken: string;
  voteIds: string[];
  delegateTokens: string[];
  runId: string;
}

export interface SittingResult {
  cycles: {
    voteId: string;
    cycleMs: number;
    openMs: number;
    ballotsMs: number;
    closeMs: number;
    ballots: LoadResult;
  }[];
  errors: number;
}

export interface LoadResult {
  requests: number;
  ok: number;
  errors: number;
  elapsedMs: number;
  perSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  statusCodes: Record<string, number>;
  sampleErrors: string[];
}

const CHOICES = ['yes', 'no', 'abstain'] as const;

/** One delegate's ranked ballot in an STV election: 1 to 5 preferences, varied by i. */
export function rankedBallotRequest(
  electionId: string,
  candidates: readonly string[],
  token: string,
  idempotencyKey: string,
  i: number,
): LoadRequest {
  const n = candidates.length;
  const ranking = Array.from({ length: 1 + (i % Math.min(5, n)) }, (_, k) => candidates[(i * 3 + k) % n]!);
  return {
    method: 'POST',
    path: `/api/v1/elections/${electionId}/ballots`,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
    },
    body: JSON.stringify({ ranking }),
  };
}

/** One delegate's ballot, as a phone sends it. */
export function ballotRequest(voteId: string, token: string, idempotencyKey: string, i: number): LoadRequest {
  return {
    method: 'POST',
    path: `/api/v1/votes/${voteId}/ballots`,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
    },
    body: JSON.stringify({ choice: CHOICES[i % 3] }),
  };
}
