/**
 * The drain that starts a graceful shutdown. While it lasts the instance serves every
 * request as usual, but /ready answers 503 (so a balancer's health check takes it out of
 * rotation) and every answer carries `Connection: close` (so keep-alive clients open their
 * next connection, through the balancer, to another instance). Only after it does
 * src/server.ts stop accepting: by then no client is left holding an idle connection that
 * the close would cut under a request it is just sending.
 */
export class Drain {
  private startedAt: number | null = null;

  get draining(): boolean {
    return this.startedAt !== null;
  }

  /** Milliseconds since the drain began (0 when it has not). */
  elapsedMs(): number {
    return this.startedAt === null ? 0 : performance.now() - this.startedAt;
  }

  begin(): void {
    this.startedAt ??= performance.now();
  }
}
