/**
 * The pages' one socket to /live. It keeps the last seq seen per conference topic and
 * resumes with `after` on every reconnect, so nothing is missed across a dropped Wi-Fi or
 * a service restart; reconnects with backoff (1 s doubling to 30 s, with jitter, so a hall
 * of phones does not come back in step) and at once when the browser says it is online
 * again or the page becomes visible. A socket is a hint: after each (re)connect the page
 * re-reads what matters over HTTP (onResync), and tallies are newest-wins by version.
 */
import type { ElectionCountData, ParticipationData, ServerMessage, TallyData } from '../../src/live/protocol.js';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  /** A conference event or snapshot arrived (the page decides what to re-read). */
  onConference(topic: string, event: string | null, data: unknown): void;
  /** A tally newer than any seen before for its vote. */
  onTally(tally: TallyData): void;
  /** An encrypted vote's participation (count and weight; it has no tally), newer than any seen. */
  onParticipation?(p: ParticipationData, version: number): void;
  /** An election's count of ballots (never what they say), newer than any seen for its election. */
  onCount?(count: ElectionCountData, version: number): void;
  /** Connected (again): re-read over HTTP what may have changed meanwhile. */
  onResync(): void;
  onStatus(status: LiveStatus): void;
  /** The session behind the ticket ended (sign-out elsewhere, rotated badge code). */
  onSessionEnded?(): void;
}

export interface LiveOptions {
  /** The socket URL: `/live`, or `/live?ticket=...` for an account's private topics. */
  url(): Promise<string>;
  handlers: LiveHandlers;
  minDelayMs?: number;
  maxDelayMs?: number;
  pingMs?: number;
}

const SESSION_CLOSES = new Set([4001, 4002]);

export class LiveClient {
  private socket: WebSocket | null = null;
  private readonly topics = new Set<string>();
  private readonly lastSeq = new Map<string, number>();
  private readonly tallyVersion = new Map<string, number>();
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pinger: ReturnType<typeof setInterval> | null = null;
  private awaitingPong = false;
  private stopped = false;
  /** When the last message arrived (or the socket opened): what "last update N s ago" counts from. */
  lastUpdate = Date.now();
  status: LiveStatus = 'connecting';

  constructor(private readonly opts: LiveOptions) {}

  start(): void {
    window.addEventListener('online', this.now);
    document.addEventListener('visibilitychange', this.onVisible);
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.now);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.clearTimers();
    this.socket?.close(1000);
  }

  /** The topics this page follows; subscribes and unsubscribes the difference. */
  follow(topics: readonly string[]): void {
    const next = new Set(topics);
    const added = [...next].filter((t) => !this.topics.has(t));
    const removed = [...this.topics].filter((t) => !next.has(t));
    for (const t of removed) this.topics.delete(t);
    for (const t of added) this.topics.add(t);
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    if (removed.length) this.send({ type: 'unsubscribe', topics: removed });
    if (added.length) this.subscribe(added);
  }

  private readonly now = (): void => {
    if (this.stopped || this.socket) return;
    this.attempt = 0;
    void this.connect();
  };

  private readonly onVisible = (): void => {
    if (document.visibilityState === 'visible') this.now();
  };

  private async connect(): Promise<void> {
    this.clearTimers();
    if (this.stopped) return;
    let url: string;
    try {
      url = await this.opts.url();
    } catch {
      this.retryLater();
      return;
    }
    const abs = new URL(url, location.href);
    abs.protocol = abs.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(abs);
    this.socket = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.lastUpdate = Date.now();
      this.setStatus('live');
      if (this.topics.size) this.subscribe([...this.topics]);
      this.opts.handlers.onResync();
      this.pinger = setInterval(() => this.heartbeat(), this.opts.pingMs ?? 20_000);
    };
    ws.onmessage = (e) => this.receive(String(e.data));
    ws.onclose = (e) => {
      if (this.socket !== ws) return;
      this.socket = null;
      this.clearTimers();
      if (SESSION_CLOSES.has(e.code)) this.opts.handlers.onSessionEnded?.();
      this.retryLater();
    };
  }

  /** A socket that stops answering (half-open after a Wi-Fi drop) is dropped and replaced. */
  private heartbeat(): void {
    if (this.awaitingPong) {
      this.socket?.close(4000, 'no pong');
      return;
    }
    this.awaitingPong = true;
    this.send({ type: 'ping' });
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.setStatus('reconnecting');
    const min = this.opts.minDelayMs ?? 1000;
    const max = this.opts.maxDelayMs ?? 30_000;
    const ceiling = Math.min(max, min * 2 ** this.attempt);
    this.attempt++;
    // "Equal jitter": at least half the ceiling, so the delay still grows.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  private subscribe(topics: string[]): void {
    const after: Record<string, number> = {};
    for (const t of topics) {
      const seq = this.lastSeq.get(t);
      if (seq !== undefined) after[t] = seq;
    }
    this.send({ type: 'subscribe', topics, ...(Object.keys(after).length ? { after } : {}) });
  }

  private receive(raw: string): void {
    this.lastUpdate = Date.now();
    this.awaitingPong = false;
    let msg: ServerMessage;
    try {
      msg = JSON.parse(raw) as ServerMessage;
    } catch {
      return;
    }
    const h = this.opts.handlers;
    switch (msg.type) {
      case 'event':
        if ((this.lastSeq.get(msg.topic) ?? -1) >= msg.seq) return;
        this.lastSeq.set(msg.topic, msg.seq);
        h.onConference(msg.topic, msg.event, msg.data);
        return;
      case 'snapshot':
        this.lastSeq.set(msg.topic, msg.seq);
        h.onConference(msg.topic, null, msg.data);
        return;
      case 'tally': {
        if ((this.tallyVersion.get(msg.topic) ?? -1) >= msg.version) return;
        this.tallyVersion.set(msg.topic, msg.version);
        h.onTally(msg.data);
        return;
      }
      case 'participation': {
        if ((this.tallyVersion.get(msg.topic) ?? -1) > msg.version) return;
        this.tallyVersion.set(msg.topic, msg.version);
        h.onParticipation?.(msg.data, msg.version);
        return;
      }
      // An election's count of ballots on `election:<id>`: newest-wins by version, as tallies
      // (the server's version orders round, papers and state, so an older count is dropped).
      case 'count': {
        if ((this.tallyVersion.get(msg.topic) ?? -1) >= msg.version) return;
        this.tallyVersion.set(msg.topic, msg.version);
        h.onCount?.(msg.data, msg.version);
        return;
      }
      case 'notice':
        h.onSessionEnded?.();
        return;
      case 'welcome':
      case 'error':
      case 'subscribed':
      case 'unsubscribed':
      case 'pong':
        return;
    }
  }

  private send(msg: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  private setStatus(s: LiveStatus): void {
    if (this.status === s) return;
    this.status = s;
    this.opts.handlers.onStatus(s);
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.pinger) clearInterval(this.pinger);
    this.timer = null;
    this.pinger = null;
    this.awaitingPong = false;
  }
}
