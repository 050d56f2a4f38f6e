import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture, type FixtureSpec } from '../support/fixtures.js';
import { bearer } from '../support/auth.js';

export type ElectionClient = ReturnType<typeof electionClient>;

/** An election test file's service, its conference (by the spec) and the client, from one call in beforeAll. */
export async function electionWorld(
  spec: FixtureSpec,
): Promise<{ t: TestApp; f: ConferenceFixture; api: ElectionClient }> {
  const t = await createTestApp();
  const f = await createConferenceFixture(t, spec);
  return { t, f, api: electionClient(t, f) };
}

/** Election requests through the real routes, as the chair and the delegates make them. */
export function electionClient(t: TestApp, f: ConferenceFixture) {
  const as = async (who: string) =>
    who === 'chair'
      ? f.chairToken()
      : who === 'auditor'
        ? f.auditorToken()
        : who === 'admin'
          ? f.adminToken()
          : f.tokenOf(who);
  const call = async (
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    who: string | null,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    t.app.inject({
      method,
      url,
      headers: { ...(who ? bearer(await as(who)) : {}), ...headers },
      ...(payload === undefined
        ? {}
        : typeof payload === 'string'
          ? { payload, headers: { ...(who ? bearer(await as(who)) : {}), 'content-type': 'text/plain', ...headers } }
          : { payload: payload as Record<string, unknown> }),
    });
  return {
    call,
    async create(body: Record<string, unknown>) {
      const res = await call('POST', `/api/v1/conferences/${f.conferenceId}/elections`, 'chair', body);
      if (res.statusCode !== 201) throw new Error(`create: ${res.statusCode} ${res.body}`);
      return res.json<{ id: string; candidates: { id: string; name: string; group: string | null }[] }>();
    },
    async open(id: string) {
      const res = await call('POST', `/api/v1/elections/${id}/open`, 'chair', {});
      if (res.statusCode !== 200) throw new Error(`open: ${res.statusCode} ${res.body}`);
      return res.json<{
        candidates: { id: string; name: string; position: number }[];
        standing: string[];
        seedHash: string;
      }>();
    },
    close: (id: string, round?: number) =>
      call('POST', `/api/v1/elections/${id}/close`, 'chair', round === undefined ? {} : { round }),
    ballot: (id: string, who: string, body: unknown, key: string = randomUUID()) =>
      call('POST', `/api/v1/elections/${id}/ballots`, who, body, { 'idempotency-key': key }),
    paper: (id: string, body: unknown, key: string = randomUUID()) =>
      call('POST', `/api/v1/elections/${id}/paper-ballots`, 'chair', body, { 'idempotency-key': key }),
    result: (id: string) => call('GET', `/api/v1/elections/${id}/result`, null),
    record: (id: string) => call('GET', `/api/v1/elections/${id}/record`, 'auditor'),
  };
}
