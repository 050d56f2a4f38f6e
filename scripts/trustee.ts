/**
 * npm run trustee -- --url <service> --username <u> --password <p>
 *                    (--vote <id> | --election <id>) --key <teller-key.json> [--index <i>] [--once | --watch]
 *
 * A teller's device on the command line (docs/tellers.md): signs in, reads the tellers'
 * state, computes this teller's next step from it and the key file
 * (src/domain/e2e/teller-steps.ts, the same code as the /trustee page), publishes it, and
 * goes on. By default it publishes what it can now and stops at the first wait; --once
 * takes a single step; --watch polls every 2 s through the waits until the totals are
 * decrypted. The key file holds the teller's secrets: it is written (mode 0600, atomically)
 * before any body made from it is sent, so a crash or a lost answer re-sends the same body.
 * The password may come from PLENARY_PASSWORD instead of the command line (where other
 * users of the machine can see it), a token from PLENARY_TOKEN.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TellerError } from '../src/domain/e2e/tellers.js';
import {
  newTellerKey,
  nextTellerStep,
  parseTellerKeyFile,
  type CeremonyState,
  type TellerKeyFile,
  type TellerAction,
} from '../src/domain/e2e/teller-steps.js';
import { HttpProblem, TellerClient, type CeremonyKind, type Credentials, type PostedStep } from './teller-client.js';

const USAGE =
  'usage: trustee --url <service> --username <u> [--password <p>] (--vote <id> | --election <id>) --key <file> [--index <i>] [--once | --watch]';

interface Options {
  url: string;
  credentials: Credentials;
  kind: CeremonyKind;
  id: string;
  keyPath: string;
  index?: number;
  mode: 'once' | 'now' | 'watch';
  intervalMs: number;
}

class UsageError extends Error {}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Options {
  let url = env.PLENARY_URL ?? 'http://127.0.0.1:3000';
  let username = env.PLENARY_USERNAME;
  let password = env.PLENARY_PASSWORD;
  let target: { kind: CeremonyKind; id: string } | undefined;
  let keyPath: string | undefined;
  let index: number | undefined;
  let mode: Options['mode'] = 'now';
  let intervalMs = 2000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--help' || a === '-h') throw new UsageError('');
    else if (a === '--url') url = value();
    else if (a === '--username') username = value();
    else if (a === '--password') password = value();
    else if (a === '--vote' || a === '--election') {
      if (target) throw new UsageError('one of --vote or --election');
      target = { kind: a === '--vote' ? 'votes' : 'elections', id: value() };
    } else if (a === '--key') keyPath = value();
    else if (a === '--index') {
      index = Number(value());
      if (!Number.isSafeInteger(index) || index < 1) throw new UsageError('--index is a teller index, 1 or more');
    } else if (a === '--once') mode = 'once';
    else if (a === '--watch') mode = 'watch';
    // Not in the usage line: tests poll faster than a person needs to.
    else if (a === '--interval-ms') intervalMs = Number(value());
    else throw new UsageError(`unknown argument ${a}`);
  }
  if (!target) throw new UsageError('--vote <id> or --election <id> is needed');
  if (!keyPath) throw new UsageError('--key <file> is needed');
  let credentials: Credentials;
  if (env.PLENARY_TOKEN && !username) credentials = { token: env.PLENARY_TOKEN };
  else if (username && password) credentials = { username, password };
  else throw new UsageError('--username and --password (or PLENARY_PASSWORD) are needed');
  if (!Number.isFinite(intervalMs) || intervalMs < 10) throw new UsageError('--interval-ms is at least 10');
  return { url, credentials, ...target, keyPath, index, mode, intervalMs };
}

/** Temp file, fsync, rename: a crash leaves the old key file or the new one, never half of one. */
export function saveKeyFile(file: string, key: TellerKeyFile): void {
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(key, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const dir = openSync(path.dirname(path.resolve(file)), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } catch {
    // Windows cannot open a directory; the rename is as durable as it gets there.
  }
}

function loadKeyFile(file: string, out: (line: string) => void): TellerKeyFile {
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0)
    out(`warning: ${file} can be read by other users of this machine (chmod 600 ${file})`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TellerError('invalid_key_file', `${file} is not JSON: ${(err as Error).message}`);
  }
  return parseTellerKeyFile(json);
}

function describe(step: PostedStep): string {
  switch (step.kind) {
    case 'identity':
      return 'published its identity key';
    case 'dealing':
      return `published its dealing (${step.body.shares.length} encrypted shares)`;
    case 'checks':
      return step.body.complaints.length === 0
        ? 'published its checks: every share it received is good'
        : `published its checks: complaints against teller(s) ${step.body.complaints.map((c) => c.accused).join(', ')}`;
    case 'partial':
      return `published its partial decryption (${step.body.factors.length} options)`;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runTrustee(
  argv: string[],
  out: (line: string) => void = console.log,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let o: Options;
  try {
    o = parseArgs(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message === '') {
      out(USAGE);
      return 0;
    }
    out(`trustee: ${err.message}`);
    out(USAGE);
    return 2;
  }
  const client = new TellerClient(o.url, o.credentials);

  /** With --watch a busy or restarting service is waited for; otherwise it is an error. */
  async function retrying<T>(what: () => Promise<T>): Promise<T> {
    let said = '';
    for (;;) {
      try {
        return await what();
      } catch (err) {
        if (!(err instanceof HttpProblem && err.transient && o.mode === 'watch')) throw err;
        if (err.message !== said) out(`service unavailable (${err.message}): trying again`);
        said = err.message;
        await sleep(o.intervalMs);
      }
    }
  }

  let state: CeremonyState = await retrying(() => client.state(o.kind, o.id));
  const me = await retrying(() => client.me());
  const mine = state.tellers.find((t) => t.accountId === me.id);
  let key: TellerKeyFile;
  if (existsSync(o.keyPath)) {
    key = loadKeyFile(o.keyPath, out);
  } else {
    const index = o.index ?? mine?.index;
    if (index === undefined)
      throw new TellerError(
        'not_teller',
        `the signed-in account is not one of the tellers of this ${o.kind.slice(0, -1)}`,
      );
    key = newTellerKey(state.context, index);
    saveKeyFile(o.keyPath, key);
    out(`teller ${index}: new key file ${o.keyPath} (keep it safe: it is this teller's share of the key)`);
  }
  if (o.index !== undefined && o.index !== key.index)
    throw new TellerError('wrong_key_file', `${o.keyPath} is the key file of teller ${key.index}, not ${o.index}`);
  const named = state.tellers.find((t) => t.index === key.index);
  if (named && named.accountId !== me.id)
    throw new TellerError('not_teller', `teller ${key.index} is ${named.name}, not the signed-in account`);

  const say = (line: string) => out(`teller ${key.index}: ${line}`);
  let lastWait = '';
  for (;;) {
    const next = await nextTellerStep(state, key);
    const step: TellerAction = next.step;
    // Kept before the body leaves this machine: a crash after the post re-sends the same body.
    if (JSON.stringify(next.key) !== JSON.stringify(key)) saveKeyFile(o.keyPath, next.key);
    key = next.key;
    switch (step.kind) {
      case 'identity':
      case 'dealing':
      case 'checks':
      case 'partial': {
        const posted = step;
        try {
          const answer = await retrying(() => client.post(o.kind, o.id, key.index, posted));
          say(describe(posted));
          lastWait = '';
          state = answer && typeof answer === 'object' && 'phase' in answer ? answer : await client.state(o.kind, o.id);
        } catch (err) {
          // Another device of this teller, or the chair, moved the ceremony on: read it again.
          if (!(err instanceof HttpProblem && err.code === 'wrong_phase')) throw err;
          state = await retrying(() => client.state(o.kind, o.id));
        }
        if (o.mode === 'once') return 0;
        continue;
      }
      case 'wait':
        if (step.reason !== lastWait) say(step.reason);
        lastWait = step.reason;
        if (o.mode !== 'watch' || step.final) return 0;
        await sleep(o.intervalMs);
        state = await retrying(() => client.state(o.kind, o.id));
        continue;
      case 'done': {
        // In the shape's order: a JSON object's keys may come back in any order (jsonb sorts them).
        const totals = state.shape.options.map((option) => `${option} ${state.totals?.[option] ?? '?'}`).join(', ');
        say(`decrypted: ${totals}`);
        return 0;
      }
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runTrustee(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof TellerError || err instanceof HttpProblem) console.error(`trustee: ${err.message}`);
      else console.error(err);
      process.exitCode = 1;
    },
  );
}
