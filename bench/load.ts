/**
 * The load generator, run as its own process so that it never shares an event loop with
 * the service or the orchestrator: `tsx bench/load.ts <job.json>` prints one JSON result.
 *
 * A job is a list of requests sent once each (one ballot per delegate), or one request
 * repeated `amount` times (the framework ceiling), over `connections` keep-alive
 * connections, with Node's own HTTP client. It replaced autocannon: on these two cores the
 * load generator competes with the service for CPU, and this lean client took less of it
 * (the same service took 435 ballots/s from autocannon and 540-700 from this loop, run
 * back to back), so the figures say more about the service and less about the generator.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import {
  ballotRequest,
  type LoadJob,
  type LoadRequest,
  type LoadResult,
  type SittingJob,
  type SittingResult,
} from './lib/jobs.js';

async function chairCall(url: string, token: string, path: string): Promise<void> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${text.slice(0, 300)}`);
}

async function sitting(job: SittingJob): Promise<SittingResult> {
  const cycles: SittingResult['cycles'] = [];
  let errors = 0;
  for (const voteId of job.voteIds) {
    const t0 = performance.now();
    await chairCall(job.url, job.chairToken, `/api/v1/votes/${voteId}/open`);
    const t1 = performance.now();
    const ballots = await fire({
      kind: 'load',
      url: job.url,
      connections: job.connections,
      expectStatus: 201,
      requests: job.delegateTokens.map((token, i) => ballotRequest(voteId, token, `${job.runId}-${voteId}-${i}`, i)),
    });
    const t2 = performance.now();
    await chairCall(job.url, job.chairToken, `/api/v1/votes/${voteId}/close`);
    const t3 = performance.now();
    errors += ballots.errors;
    cycles.push({ voteId, cycleMs: t3 - t0, openMs: t1 - t0, ballotsMs: t2 - t1, closeMs: t3 - t2, ballots });
  }
  return { cycles, errors };
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadJob | SittingJob;
  const out = job.kind === 'sitting' ? await sitting(job) : await fire(job);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/**
 * Sends the job's requests over `connections` keep-alive connections, each connection a
 * loop that sends its next request when the previous answer has arrived (no pipelining),
 * and times every request from its write to the end of its answer.
 */
async function fire(job: LoadJob): Promise<LoadResult> {
  const list = job.requests ?? [];
  const amount = job.repeat ? job.repeat.amount : list.length;
  const requestAt = (i: number): LoadRequest => (job.repeat ? job.repeat.request : list[i]!);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const sampleErrors: string[] = [];
  const note = (status: string, body: string) => {
    statusCodes[status] = (statusCodes[status] ?? 0) + 1;
    if (status !== String(job.expectStatus) && sampleErrors.length < 5)
      sampleErrors.push(`${status} ${body.slice(0, 300)}`);
  };
  const send = (r: LoadRequest) =>
    new Promise<void>((resolve) => {
      const req = http.request(
        `${job.url}${r.path}`,
        {
          method: r.method,
          agent,
          headers: r.body === undefined ? r.headers : { ...r.headers, 'content-length': Buffer.byteLength(r.body) },
          timeout: job.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            note(String(res.statusCode), Buffer.concat(chunks).toString('utf8'));
            resolve();
          });
          res.on('error', (err) => {
            note('error', String(err));
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timed out after ${job.timeoutMs ?? 30_000} ms`)));
      req.on('error', (err) => {
        note('error', String(err));
        resolve();
      });
      req.end(r.body);
    });
  let next = 0;
  const connection = async () => {
    while (next < amount) {
      const r = requestAt(next++);
      const t = performance.now();
      await send(r);
      latencies.push(performance.now() - t);
    }
  };
  const paced = async (rate: number) => {
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < amount; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const r = requestAt(i);
      inFlight.push(send(r).then(() => void latencies.push(performance.now() - due)));
    }
    await Promise.all(inFlight);
  };
  const t0 = performance.now();
  if (job.ratePerSecond) await paced(job.ratePerSecond);
  else await Promise.all(Array.from({ length: Math.min(job.connections, amount) }, connection));
  const elapsedMs = performance.now() - t0;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0);
  const ok = statusCodes[String(job.expectStatus)] ?? 0;
  return {
    requests: amount,
    ok,
    errors: amount - ok,
    elapsedMs,
    perSecond: (ok / elapsedMs) * 1000,
    latencyMs: {
      p50: pct(50),
      p90: pct(90),
      p99: pct(99),
      max: round(latencies.at(-1) ?? 0),
      mean: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
    },
    statusCodes,
    sampleErrors,
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

main().catch((err: unknown) => {
  process.stderr.write(`load generator failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
