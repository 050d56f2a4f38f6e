/**
 * One timer that runs a sweep every intervalMs, never two at once, unref'd so it keeps no
 * process alive, and stopped by awaiting the sweep in progress. The vote and election
 * deadline sweepers share it; `stopped()` lets a sweep end early between rows.
 */
import type { AppContext } from '../app-context.js';

export function startPeriodicSweep(
  ctx: AppContext,
  intervalMs: number,
  what: string,
  sweep: (stopped: () => boolean) => Promise<void>,
): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = sweep(() => stopped)
      .catch((err: unknown) => ctx.log.warn({ err }, `${what} failed`))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
