/**
 * npm run backup -- FILE [--url http://127.0.0.1:3000]
 *
 * Takes a consistent copy of the running service's embedded database (GET /api/v1/admin/backup)
 * while voting goes on, and writes it to FILE (a gzipped tar; written to FILE.partial first, so
 * an interrupted backup never leaves a truncated FILE). Signs in as PLENARY_ADMIN_USERNAME
 * (default admin) with PLENARY_ADMIN_PASSWORD, or uses PLENARY_TOKEN, an admin's access token.
 * The URL: --url, else PLENARY_URL, else http://127.0.0.1:$PORT (3000).
 * On PostgreSQL use pg_dump or pg_basebackup instead (docs/deploy.md).
 */
import fs from 'node:fs';

const USAGE =
  'usage: npm run backup -- FILE [--url URL]   (PLENARY_ADMIN_PASSWORD or PLENARY_TOKEN in the environment)';

async function problemOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const p = JSON.parse(text) as { code?: string; detail?: string };
    return `${res.status} ${p.code ?? ''}: ${p.detail ?? text}`;
  } catch {
    return `${res.status}: ${text.slice(0, 200)}`;
  }
}

async function main(argv: string[]): Promise<number> {
  let file: string | undefined;
  let url = process.env.PLENARY_URL ?? `http://127.0.0.1:${process.env.PORT ?? '3000'}`;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--url') url = argv[++i] ?? url;
    else if (!file) file = argv[i];
    else file = undefined;
  }
  if (!file) {
    console.error(USAGE);
    return 2;
  }
  url = url.replace(/\/$/, '');
  let token = process.env.PLENARY_TOKEN;
  if (!token) {
    const password = process.env.PLENARY_ADMIN_PASSWORD;
    if (!password) {
      console.error(`backup: set PLENARY_ADMIN_PASSWORD (or PLENARY_TOKEN)\n${USAGE}`);
      return 2;
    }
    const res = await fetch(`${url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: process.env.PLENARY_ADMIN_USERNAME ?? 'admin', password }),
    });
    if (!res.ok) {
      console.error(`backup: sign-in refused: ${await problemOf(res)}`);
      return 1;
    }
    token = ((await res.json()) as { accessToken: string }).accessToken;
  }
  const startedAt = performance.now();
  const res = await fetch(`${url}/api/v1/admin/backup`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok || !res.body) {
    console.error(`backup: refused: ${await problemOf(res)}`);
    return 1;
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    console.error('backup: the answer is not a gzip file; nothing written');
    return 1;
  }
  const partial = `${file}.partial`;
  fs.writeFileSync(partial, bytes, { mode: 0o600 });
  fs.renameSync(partial, file);
  console.log(
    `backup: wrote ${file} (${(bytes.length / 1e6).toFixed(1)} MB in ${Math.round(performance.now() - startedAt)} ms)`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`backup: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
