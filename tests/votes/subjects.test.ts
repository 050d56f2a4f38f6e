import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { bearer } from '../support/auth.js';

let t: TestApp;
let f: ConferenceFixture;
let chair: string;
let resolutionId: string;
let clauseId: string;

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [{ name: 'X', delegates: [{ name: 'Head', role: 'head', weight: 2 }] }],
  });
  chair = await f.chairToken();
  const r = await t
    .http()
    .post(`/api/v1/conferences/${f.conferenceId}/resolutions`)
    .set(bearer(chair))
    .send({ title: 'R', clauses: [{ text: 'Only clause.' }] });
  resolutionId = r.body.id;
  clauseId = r.body.clauses[0].id;
});
afterAll(async () => t?.close());

describe('what can be put to the vote', () => {
  it('refuses a vote on an amendment the chair has not admitted, and accepts it once admitted', async () => {
    const head = await f.tokenOf('Head');
    const am = await t
      .http()
      .post(`/api/v1/resolutions/${resolutionId}/amendments`)
      .set(bearer(head))
      .send({ clauseId, kind: 'replace', text: 'Better clause.' });
    expect(am.status).toBe(201);
    const create = () =>
      t
        .http()
        .post(`/api/v1/conferences/${f.conferenceId}/votes`)
        .set(bearer(chair))
        .send({ subject: { type: 'amendment', id: am.body.id } });
    const refused = await create();
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('amendment_not_admitted');
    await t
      .http()
      .patch(`/api/v1/amendments/${am.body.id}`)
      .set(bearer(chair))
      .send({ status: 'admitted' })
      .expect(200);
    const accepted = await create();
    expect(accepted.status).toBe(201);
    expect(accepted.body.title).toMatch(/^Amendment 1/);
  });

  it('refuses a subject of another conference', async () => {
    const other = await createConferenceFixture(t, { delegations: [{ name: 'Y', delegates: [{ name: 'Z' }] }] });
    const res = await t
      .http()
      .post(`/api/v1/conferences/${other.conferenceId}/votes`)
      .set(bearer(await other.chairToken()))
      .send({ subject: { type: 'clause', id: clauseId } });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('subject_not_found');
  });
});
