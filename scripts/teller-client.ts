/**
 * The HTTP side of a teller's device outside the browser (`npm run trustee`): sign in,
 * read the tellers' state, post a step. Only fetch and the pure src/domain/e2e types.
 */
import type { CeremonyState, TellerAction } from '../src/domain/e2e/teller-steps.js';

export type CeremonyKind = 'votes' | 'elections';
export type PostedStep = Exclude<TellerAction, { kind: 'wait' } | { kind: 'done' }>;

/** An answer that is not a 2xx: its problem+json code when the service sent one. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(status === 0 ? detail : `${status} ${code}: ${detail}`);
    this.name = 'HttpProblem';
  }

  /** Worth trying again later: the service is busy, restarting, or the network failed. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export type Credentials = { token: string } | { username: string; password: string };

export class TellerClient {
  private token: string | null;

  constructor(
    private readonly baseUrl: string,
    private readonly credentials: Credentials,
  ) {
    this.token = 'token' in credentials ? credentials.token : null;
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, signedIn = true): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (signedIn) headers.authorization = `Bearer ${await this.signedIn()}`;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new HttpProblem(0, 'network', `cannot reach ${this.baseUrl}: ${why}`);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // A proxy's HTML error page: reported by its status below.
    }
    if (res.ok) return json as T;
    const p = (json ?? {}) as { code?: unknown; detail?: unknown };
    const problem = new HttpProblem(
      res.status,
      typeof p.code === 'string' ? p.code : `http_${res.status}`,
      typeof p.detail === 'string' ? p.detail : text.slice(0, 200),
    );
    // A session that expired during a long --watch: sign in again once (not with a given token).
    if (res.status === 401 && signedIn && 'password' in this.credentials && this.token !== null) {
      this.token = null;
      return this.request(method, path, body, signedIn);
    }
    throw problem;
  }

  private async signedIn(): Promise<string> {
    if (this.token !== null) return this.token;
    if (!('password' in this.credentials)) throw new HttpProblem(401, 'unauthenticated', 'no token');
    const { username, password } = this.credentials;
    const answer = await this.request<{ accessToken: string }>(
      'POST',
      '/api/v1/auth/token',
      { username, password },
      false,
    );
    this.token = answer.accessToken;
    return this.token;
  }

  me(): Promise<{ id: string; username: string | null }> {
    return this.request('GET', '/api/v1/me');
  }

  state(kind: CeremonyKind, id: string): Promise<CeremonyState> {
    return this.request('GET', `/api/v1/${kind}/${encodeURIComponent(id)}/tellers`);
  }

  post(kind: CeremonyKind, id: string, index: number, step: PostedStep): Promise<CeremonyState> {
    return this.request('POST', `/api/v1/${kind}/${encodeURIComponent(id)}/tellers/${index}/${step.kind}`, step.body);
  }
}
