/** Running the bench's own helper processes (load generator, ceilings) and reading their JSON line. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './service.js';

let jobDir: string | undefined;
let jobSeq = 0;

export function jobFile(job: unknown): string {
  jobDir ??= mkdtempSync(path.join(os.tmpdir(), 'plenary-bench-jobs-'));
  const file = path.join(jobDir, `job-${++jobSeq}.json`);
  writeFileSync(file, JSON.stringify(job));
  return file;
}

export function jobDirectory(): string | undefined {
  return jobDir;
}

/** Runs `node --import tsx <script> <args>` and parses the last line of its stdout as JSON. */
export async function runJsonChild<T>(script: string, args: string[], timeoutMs = 300_000): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const last = out.trim().split('\n').at(-1);
  if (code !== 0 || !last) throw new Error(`${script} failed (exit ${code}):\n${err}${out}`);
  return JSON.parse(last) as T;
}

/** Runs `node <nodeFlags> --import tsx <script> <args>` and returns its stdout (throws on a non-zero exit). */
export async function runTextChild(
  script: string,
  args: string[],
  opts: { nodeFlags?: string[]; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<string> {
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), '--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${script} failed (exit ${code}):\n${err.slice(-2000)}${out.slice(-2000)}`);
  return out;
}

/** A long-running helper that prints one JSON line when ready (the framework-ceiling server). */
export async function startJsonChild<T>(script: string): Promise<{ info: T; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const info = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start:\n${err}`));
    }, 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)) as T);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}):\n${err}`));
    });
  });
  return {
    info,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
