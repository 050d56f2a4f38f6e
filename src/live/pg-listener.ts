/**
 * The wake-up line between instances. PostgreSQL: ONE dedicated connection per instance
 * (never from the pool: a pooled client would be handed to queries, and LISTEN lives and
 * dies with its connection) that reconnects with backoff when it is lost (a restart, a
 * failover, pg_terminate_backend). After every (re)connect the hub catches up from the
 * log, because NOTIFYs sent while nobody listened are gone. PGlite: the in-process listen
 * of the one embedded database, which cannot be lost.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';

export interface Wakeups {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface WakeupHandlers {
  onNotify(channel: string, payload: string): void;
  /** After the first connect (reconnected = false) and after every reconnect (true). */
  onConnected(reconnected: boolean): void;
}

export function createWakeups(database: Database, channels: string[], h: WakeupHandlers, log: Logger): Wakeups {
  if (database.kind === 'postgres' && database.url) return new PgListener(database.url, channels, h, log);
  return new InProcessListener(database, channels, h);
}

class InProcessListener implements Wakeups {
  private stops: (() => Promise<void>)[] = [];
  constructor(
    private readonly database: Database,
    private readonly channels: string[],
    private readonly h: WakeupHandlers,
  ) {}

  async start() {
    for (const channel of this.channels) {
      this.stops.push(await this.database.listen(channel, (payload) => this.h.onNotify(channel, payload)));
    }
    this.h.onConnected(false);
  }

  async stop() {
    const stops = this.stops;
    this.stops = [];
    for (const s of stops) await s().catch(() => undefined);
  }
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

class PgListener implements Wakeups {
  private client: pg.Client | null = null;
  private stopped = false;
  private everConnected = false;
  private backoff = MIN_BACKOFF_MS;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly channels: string[],
    private readonly h: WakeupHandlers,
    private readonly log: Logger,
  ) {}

  async start() {
    await this.connect();
  }

  /** Visible for tests: the backend pid of the LISTEN connection (to terminate it). */
  get backendPid(): number | undefined {
    return (this.client as unknown as { processID?: number } | null)?.processID;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'plenary-live-listener',
      keepAlive: true,
    });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = null;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.log.warn({ err: err?.message }, 'live: LISTEN connection lost; reconnecting');
      this.schedule();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (n) => {
      this.h.onNotify(n.channel, n.payload ?? '');
    });
    try {
      await client.connect();
      for (const ch of this.channels) await client.query(`listen ${client.escapeIdentifier(ch)}`);
    } catch (err) {
      if (!this.everConnected && !lost) {
        // The first connect is part of startup: fail loudly rather than run deaf.
        lost = true;
        await client.end().catch(() => undefined);
        throw err;
      }
      onLost(err as Error);
      return;
    }
    if (lost) return;
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoff = MIN_BACKOFF_MS;
    const reconnected = this.everConnected;
    this.everConnected = true;
    if (reconnected) this.log.info('live: LISTEN connection restored; catching up from the log');
    this.h.onConnected(reconnected);
  }

  private schedule() {
    if (this.timer || this.stopped) return;
    const delay = this.backoff;
    this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect().catch((err: unknown) => {
        this.log.warn({ err: (err as Error).message }, 'live: LISTEN reconnect failed');
        this.schedule();
      });
    }, delay);
    this.timer.unref();
  }

  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('notification');
      await c.end().catch(() => undefined);
    }
  }
}
