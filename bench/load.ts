/**
 * The load generator, run as its own process so that it never shares an event loop with
 * the service or the orchestrator: `tsx bench/load.ts <job.json>` prints one JSON result.
 *
 * A job is a list of requests sent once each (`amount` = list length: one ballot per
 * delegate), or one request repeated `amount` times (the framework ceiling), over
 * `connections` keep-alive connections. autocannon builds each request through
 * setupRequest exactly once per request sent, so the shared cursor below hands every
 * request of the list to exactly one connection.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { ballotRequest, type LoadJob, type LoadResult, type SittingJob, type SittingResult } from './lib/jobs.js';

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

async function fire(job: LoadJob): Promise<LoadResult> {
  const list = job.requests ?? [];
  const amount = job.repeat ? job.repeat.amount : list.length;
  let cursor = 0;
  const sampleErrors: string[] = [];
  const onResponse = (status: number, body: string) => {
    if (status !== job.expectStatus && sampleErrors.length < 5) sampleErrors.push(`${status} ${body.slice(0, 300)}`);
  };
  const request = job.repeat
    ? { ...job.repeat.request, onResponse }
    : {
        onResponse,
        setupRequest: () => {
          const r = list[cursor++];
          if (!r) throw new Error('load generator ran out of requests');
          return { ...r };
        },
      };
  const t0 = performance.now();
  const result = await autocannon({
    url: job.url,
    connections: Math.min(job.connections, amount),
    amount,
    timeout: 30,
    pipelining: 1,
    requests: [request],
  });
  const elapsedMs = performance.now() - t0;
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = Number(s.count);
  const ok = statusCodes[String(job.expectStatus)] ?? 0;
  const out: LoadResult = {
    requests: amount,
    ok,
    errors: amount - ok,
    elapsedMs,
    perSecond: (ok / elapsedMs) * 1000,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    statusCodes,
    sampleErrors,
  };
  return out;
}

main().catch((err: unknown) => {
  process.stderr.write(`load generator failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
