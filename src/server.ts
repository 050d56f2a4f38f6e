/**
 * The process: configuration -> database -> app -> listen, and a graceful shutdown on
 * SIGTERM/SIGINT: drain (SIGTERM only: /ready 503 while requests are still served, see
 * src/ops/drain.ts), then stop accepting, let in-flight requests finish (new ones get 503),
 * close live sockets with 1001, close the database, exit.
 */
import pino from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { buildApp, loggerOptions } from './app.js';
import { start } from './bootstrap.js';
import { configureProofPool } from './e2e/proof-workers.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { writeDemoCredentials } from './seed/demo-seed.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino(loggerOptions(config.logLevel));
  const startedAt = performance.now();
  if (config.proofWorkers !== null) await configureProofPool({ size: config.proofWorkers });
  const { ctx, admin, demo } = await start(config, { log });
  const app = await buildApp(ctx, { logger: log });
  await app.listen({ port: config.port, host: config.host });

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://localhost:${port}`;
  const lines = [
    '',
    `Plenary is ready in ${Math.round(performance.now() - startedAt)} ms on ${ctx.database.kind === 'pglite' ? `embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL'}.`,
    `  API            ${base}/api/v1`,
    `  API reference  ${base}/docs`,
    `  Pages          ${base}/ (the hall's board, the phone's ${base}/vote, ${base}/receipt; staff sign in at ${base}/sign-in)`,
    `  Health         ${base}/health`,
  ];
  if (admin) {
    lines.push(
      admin.generatedPassword
        ? `  Admin          username "${admin.username}", password ${admin.generatedPassword} (shown only now; set PLENARY_ADMIN_PASSWORD to choose it)`
        : `  Admin          username "${admin.username}" with PLENARY_ADMIN_PASSWORD`,
    );
  }
  if (demo) {
    const file = writeDemoCredentials(config.dataDir, demo);
    lines.push(
      `  Demo           ${base}/api/v1/conferences/${demo.conferenceId}`,
      `  Board          ${base}/board/${demo.conferenceId}`,
      `  Chair console  ${base}/chair/${demo.conferenceId} (chair or admin)`,
      `  Desk           ${base}/desk/${demo.conferenceId} (admin)`,
      `  Resolution     ${base}/api/v1/resolutions/${demo.resolutionId}/text`,
      `  Chair          username "${demo.chair.username}", password ${demo.chair.password}`,
      ...demo.tellers.map(
        (x) => `  Teller         username "${x.username}", password ${x.password} (at ${base}/trustee)`,
      ),
      ...demo.delegates
        .slice(0, 3)
        .map((d) => `  Delegate       ${d.name} (${d.delegation}): access code ${d.accessCode}`),
      `  All demo credentials: ${file}`,
    );
  } else {
    const first = (await app.inject({ method: 'GET', url: '/api/v1/conferences?limit=1' })).json<{
      items: { id: string; name: string }[];
    }>();
    if (first.items[0])
      lines.push(`  Conference     ${base}/api/v1/conferences/${first.items[0].id} (${first.items[0].name})`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Ctrl-C at a terminal stops at once; SIGTERM (a deployment, a container stop) drains first.
    const drainMs = signal === 'SIGTERM' ? config.shutdownDrainMs : 0;
    const timer = setTimeout(
      () => {
        log.error('shutdown took too long; exiting');
        process.exit(1);
      },
      drainMs + config.shutdownGraceMs + 2000,
    );
    timer.unref();
    try {
      app.drain.begin();
      log.info({ signal, drainMs }, 'draining: /ready answers 503, requests are still served');
      await new Promise((resolve) => setTimeout(resolve, drainMs));
      // Stop accepting, answer 503 to requests that still arrive on open connections, finish
      // the ones in flight, close live sockets with 1001.
      log.info('stopping: no new connections, finishing requests in flight');
      await app.close();
      await ctx.database.close();
      log.info({ afterMs: Math.round(app.drain.elapsedMs()) }, 'stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataDirLockedError) {
    process.stderr.write(`plenary: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `plenary: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
