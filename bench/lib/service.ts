/**
 * The service as a child process, started the way `npm start` starts it
 * (node --import tsx src/server.ts), on loopback, with a port chosen by the OS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const ADMIN_PASSWORD = 'bench-admin-password-1234';

export interface Service {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  /** Milliseconds from spawn to the first 200 from /health. */
  startMs: number;
  output(): string;
  stop(): Promise<number | null>;
}

export interface ServiceOptions {
  databaseUrl?: string;
  dataDir?: string;
  poolSize?: number;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startService(opts: ServiceOptions): Promise<Service> {
  const t0 = performance.now();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    PLENARY_SEED: 'none',
    PLENARY_ADMIN_PASSWORD: ADMIN_PASSWORD,
    DB_POOL_SIZE: String(opts.poolSize ?? 4),
    // The load comes from one address and measures the service's ceiling, not its limits.
    RATE_LIMIT_PER_ADDRESS: '0',
    RATE_LIMIT_PER_ACCOUNT: '0',
    RATE_LIMIT_COSTLY_PER_ADDRESS: '0',
    LIVE_MAX_SOCKETS_PER_ADDRESS: '100000',
    LIVE_MAX_SOCKETS: '100000',
    MAX_CONNECTIONS: '100000',
    // The proof workers' count for encrypted ballots, when the bench is asked to set it.
    ...(process.env.PROOF_WORKERS ? { PROOF_WORKERS: process.env.PROOF_WORKERS } : {}),
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...(opts.dataDir ? { DATA_DIR: opts.dataDir } : {}),
    ...opts.env,
  };
  // PLENARY_BENCH_SERVICE_ROOT runs another checkout of the service (a prototype) under the same harness.
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), '--import', 'tsx', 'src/server.ts'], {
    cwd: process.env.PLENARY_BENCH_SERVICE_ROOT ?? repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let port: number | undefined;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`service exited early (${child.exitCode}):\n${out}`);
      const m = port ?? Number(/API\s+http:\/\/localhost:(\d+)\/api\/v1/.exec(out)?.[1] ?? 0);
      if (m) {
        port = m;
        const ok = await fetch(`http://127.0.0.1:${port}/health`)
          .then((r) => r.status === 200)
          .catch(() => false);
        if (ok) break;
      }
      await sleep(10);
    }
    if (!port || Date.now() >= deadline) throw new Error(`service did not become healthy in time:\n${out}`);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const startMs = performance.now() - t0;
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    startMs,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
