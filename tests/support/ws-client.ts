/**
 * A real WebSocket client for the live channel's tests: it records every message it
 * receives (so that a test can inspect all of them) and lets a test wait for one.
 */
import WebSocket from 'ws';
import type { ServerMessage } from '../../src/live/protocol.js';

export interface Closed {
  code: number;
  reason: string;
}

export class LiveClient {
  readonly messages: ServerMessage[] = [];
  readonly raw: string[] = [];
  readonly closed: Promise<Closed>;
  private waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });
    ws.on('message', (data) => {
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
      this.raw.push(text);
      const m = JSON.parse(text) as ServerMessage;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    ws.on('error', () => undefined);
  }

  /** Connects and waits for the server's welcome; rejects with the HTTP status when refused. */
  static async connect(
    baseUrl: string,
    opts: { ticket?: string; origin?: string; headers?: Record<string, string>; path?: string } = {},
  ): Promise<LiveClient> {
    const url = new URL(opts.path ?? '/live', baseUrl.replace(/^http/, 'ws'));
    if (opts.ticket !== undefined) url.searchParams.set('ticket', opts.ticket);
    const ws = new WebSocket(url, {
      ...(opts.origin ? { origin: opts.origin } : {}),
      headers: opts.headers ?? {},
    });
    const client = new LiveClient(ws);
    const welcome = client.waitFor((m) => m.type === 'welcome', 10_000);
    // A refused upgrade never gets its welcome: that rejection is not the interesting one.
    welcome.catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => reject(new RefusedError(res.statusCode ?? 0, body)));
      });
      ws.once('error', reject);
    });
    await welcome;
    return client;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  subscribe(topics: string[], after?: Record<string, number>): void {
    this.send({ type: 'subscribe', topics, ...(after ? { after } : {}) });
  }

  waitFor<T extends ServerMessage = ServerMessage>(
    pred: (m: ServerMessage) => boolean,
    timeoutMs = 10_000,
  ): Promise<T> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen as T);
    return this.next<T>(pred, timeoutMs);
  }

  /** Waits for a message that has not arrived yet. */
  next<T extends ServerMessage = ServerMessage>(pred: (m: ServerMessage) => boolean, timeoutMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w = {
        pred,
        resolve: (m: ServerMessage) => {
          clearTimeout(timer);
          resolve(m as T);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out waiting for a message; got ${JSON.stringify(this.messages.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Control events of a conference topic received so far, in arrival order. */
  events(topic: string): { seq: number; event: string; data: Record<string, unknown> }[] {
    return this.messages.flatMap((m) => (m.type === 'event' && m.topic === topic ? [m] : []));
  }

  async waitForSeq(topic: string, seq: number, timeoutMs = 10_000): Promise<void> {
    await this.waitFor(
      (m) => (m.type === 'event' || m.type === 'snapshot') && m.topic === topic && m.seq >= seq,
      timeoutMs,
    );
  }

  async close(): Promise<Closed> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

export class RefusedError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`WebSocket upgrade refused with ${status}: ${body}`);
  }
}

/** Connect expecting a refusal; returns its status and problem body. */
export async function expectRefused(
  baseUrl: string,
  opts: Parameters<typeof LiveClient.connect>[1] = {},
): Promise<{ status: number; problem: { code?: string } }> {
  try {
    const c = await LiveClient.connect(baseUrl, opts);
    await c.close();
  } catch (err) {
    if (err instanceof RefusedError) {
      let problem: { code?: string } = {};
      try {
        problem = JSON.parse(err.body) as { code?: string };
      } catch {
        // not JSON
      }
      return { status: err.status, problem };
    }
    throw err;
  }
  throw new Error('the upgrade was accepted');
}
