import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { agendaItems } from '../../src/db/schema.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { eventsOf, lastEvent } from '../support/events.js';
import { buildWorld, type ActorName, type World } from '../support/world.js';
import { insertVote, setVoteState } from './resolutions-fixtures.js';

const DEMO_TEXT = readFileSync(
  new URL('../../src/seed/resolution-social-cohesion-and-progress-2019.txt', import.meta.url),
  'utf8',
);
const SENTENCE_END = /[.!?:;…]["'”’»)\]*_]*$/u;

interface ClauseBody {
  id: string;
  number: number;
  position: number;
  text: string;
  translations: Record<string, string>;
}
interface ResolutionBody {
  id: string;
  conferenceId: string;
  title: string;
  preamble: string | null;
  clauses: ClauseBody[];
  amendments: unknown[];
}
interface AmendmentBody {
  id: string;
  number: number;
  clauseId: string;
  kind: string;
  text: string | null;
  status: string;
  proposerDelegationId: string | null;
  decidedAt: string | null;
}

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await createTestApp({ seed: 'none' });
  w = await buildWorld(t);
});
afterAll(async () => t?.close());

async function post(url: string, payload: unknown, as: ActorName = 'admin') {
  return t.app.inject({ method: 'POST', url, payload: payload as object, headers: w.headers(as) });
}
async function patch(url: string, payload: unknown, as: ActorName = 'admin') {
  return t.app.inject({ method: 'PATCH', url, payload: payload as object, headers: w.headers(as) });
}
async function get(url: string) {
  return t.app.inject({ method: 'GET', url });
}

async function table(clauses: string[], as: ActorName = 'chair'): Promise<ResolutionBody> {
  const res = await post(
    `/api/v1/conferences/${w.confA}/resolutions`,
    { title: 'A test resolution', clauses: clauses.map((text) => ({ text })) },
    as,
  );
  expect(res.statusCode, res.body).toBe(201);
  return res.json<ResolutionBody>();
}

async function amend(
  resolutionId: string,
  body: { clauseId: string; kind: string; text?: string },
  as: ActorName = 'head',
): Promise<AmendmentBody> {
  const res = await post(`/api/v1/resolutions/${resolutionId}/amendments`, body, as);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<AmendmentBody>();
}

async function decide(amendmentId: string, status: string, as: ActorName = 'chair') {
  return patch(`/api/v1/amendments/${amendmentId}`, { status }, as);
}

describe('tabling a resolution from its text', () => {
  it('splits the demo resolution, pasted raw from its PDF, into exactly its 13 paragraphs', async () => {
    const res = await post(
      `/api/v1/conferences/${w.confA}/resolutions`,
      { title: 'Social Cohesion and Progress', text: DEMO_TEXT },
      'chair',
    );
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json<ResolutionBody>();
    expect(r.title).toBe('Social Cohesion and Progress');
    expect(r.conferenceId).toBe(w.confA);
    expect(r.clauses).toHaveLength(13);
    expect(r.clauses.map((c) => c.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(r.clauses[0]!.text).toMatch(/^We live in times of rapid change\. New technologies/u);
    expect(r.clauses[10]!.text).toBe('The Progressive Alliance is committed to building strong communities.');
    expect(r.clauses[12]!.text).toMatch(/where we will go together\.\*\*$/u);
    for (const c of r.clauses) {
      expect(c.text, `clause ${c.number}`).not.toMatch(/^\p{Ll}/u);
      expect(c.text, `clause ${c.number}`).toMatch(SENTENCE_END);
      expect(c.text).not.toMatch(/\n| {2}/u);
    }
    // The two sentences the PDF cut across pages are whole again, each in one clause.
    expect(r.clauses.filter((c) => c.text.includes('cleansing the body politic to restore'))).toHaveLength(1);
    expect(r.clauses.filter((c) => c.text.includes('fear the loss of control. If we want people'))).toHaveLength(1);
    // The letterhead is kept apart, not lost and not a clause.
    expect(r.preamble).toContain('www.progressive-alliance.info');
    expect(r.clauses.some((c) => c.text.includes('PROGRESSIVE'))).toBe(false);

    // What was returned is what is stored, and what the text route reads.
    const again = (await get(`/api/v1/resolutions/${r.id}`)).json<ResolutionBody>();
    expect(again.clauses.map((c) => c.text)).toEqual(r.clauses.map((c) => c.text));
    const text = (await get(`/api/v1/resolutions/${r.id}/text`)).json<{ text: string }>();
    expect(text.text.split('\n\n')).toHaveLength(13);
    expect(text.text.startsWith('1. We live in times of rapid change.')).toBe(true);

    const event = await lastEvent(t, w.confA, 'resolution.created');
    expect(event).toMatchObject({ actor: w.actors.chair.accountId, data: { resolutionId: r.id, from: 'text' } });
  });

  it('reads Markdown: headings are not clauses, numbered and bulleted items are', async () => {
    const md = [
      '# Resolution on Digital Rights',
      '',
      '## Considering',
      '',
      'The conference notes that platforms shape public debate.',
      '',
      '## Resolves',
      '',
      '1. Member parties shall campaign for',
      '   open standards in public procurement.',
      '2. The coordinating committee shall report next year.',
      '- Every delegation shall name a digital rights contact.',
      '',
    ].join('\n');
    const res = await post(`/api/v1/conferences/${w.confA}/resolutions`, { title: 'Digital Rights', text: md });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json<ResolutionBody>();
    expect(r.clauses.map((c) => c.text)).toEqual([
      'The conference notes that platforms shape public debate.',
      'Member parties shall campaign for open standards in public procurement.',
      'The coordinating committee shall report next year.',
      'Every delegation shall name a digital rights contact.',
    ]);
    expect(r.title).toBe('Digital Rights');
  });

  it('takes clauses as given, with their translations', async () => {
    const res = await post(
      `/api/v1/conferences/${w.confA}/resolutions`,
      {
        title: 'Given clauses',
        clauses: [
          { text: '  First clause.  ', translations: { fr: 'Première clause.', es: 'Primera cláusula.' } },
          { text: 'Second clause.' },
        ],
      },
      'admin',
    );
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json<ResolutionBody>();
    expect(r.clauses).toMatchObject([
      {
        number: 1,
        position: 1,
        text: 'First clause.',
        translations: { fr: 'Première clause.', es: 'Primera cláusula.' },
      },
      { number: 2, position: 2, text: 'Second clause.', translations: {} },
    ]);
    expect(r.amendments).toEqual([]);
    const event = await lastEvent(t, w.confA, 'resolution.created');
    expect(event).toMatchObject({ actor: w.actors.admin.accountId, data: { resolutionId: r.id, from: 'clauses' } });
  });

  it('takes the title from the text when none is given, and asks for one when the text names none', async () => {
    const url = `/api/v1/conferences/${w.confA}/resolutions`;
    const named = await post(url, { text: DEMO_TEXT });
    expect(named.statusCode, named.body).toBe(201);
    expect(named.json()).toMatchObject({ title: 'Social Cohesion and Progress' });
    expect(named.json().clauses).toHaveLength(13);
    const unnamed = await post(url, { text: 'A clause without a title.' });
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json().code).toBe('title_required');
  });

  it('refuses a text in which nothing reads as a clause: 422 no_clauses, and stores nothing', async () => {
    const before = (await get(`/api/v1/conferences/${w.confA}/resolutions`)).json<{ items: unknown[] }>();
    for (const text of ['', '   \n\n  ', '# Just a heading\n\n## And another\n', 'DRAFT 03 July 2019']) {
      const res = await post(`/api/v1/conferences/${w.confA}/resolutions`, { title: 'Empty', text });
      expect(res.statusCode, text).toBe(422);
      expect(res.json()).toMatchObject({ code: 'no_clauses', status: 422 });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const empty = await post(`/api/v1/conferences/${w.confA}/resolutions`, { title: 'Empty', clauses: [] });
    expect(empty.statusCode).toBe(422);
    expect(empty.json().code).toBe('no_clauses');
    const after = (await get(`/api/v1/conferences/${w.confA}/resolutions`)).json<{ items: unknown[] }>();
    expect(after.items).toHaveLength(before.items.length);
  });

  it.each([
    ['an unknown field', { title: 'X', text: 'A clause.', agenda: 1 }],
    ['both text and clauses', { title: 'X', text: 'A clause.', clauses: [{ text: 'A clause.' }] }],
    ['neither text nor clauses', { title: 'X' }],
    ['no title for given clauses', { clauses: [{ text: 'A clause.' }] }],
    ['an empty clause', { title: 'X', clauses: [{ text: '  ' }] }],
    ['an unknown field in a clause', { title: 'X', clauses: [{ text: 'A.', number: 4 }] }],
    [
      'a translation keyed by a language name',
      { title: 'X', clauses: [{ text: 'A.', translations: { french: 'B.' } }] },
    ],
  ])('refuses %s with 400 validation_failed', async (_what, body) => {
    const res = await post(`/api/v1/conferences/${w.confA}/resolutions`, body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('validation_failed');
  });

  it('links the resolution to an agenda item of the conference, one resolution per item', async () => {
    const [item, elsewhere] = await t.ctx.db
      .insert(agendaItems)
      .values([
        { conferenceId: w.confA, title: 'Resolution debate', position: 1 },
        { conferenceId: w.confB, title: 'Elsewhere', position: 1 },
      ])
      .returning();
    const url = `/api/v1/conferences/${w.confA}/resolutions`;
    const res = await post(url, { title: 'On the agenda', text: 'A clause.', agendaItemId: item!.id });
    expect(res.statusCode, res.body).toBe(201);
    const [linked] = await t.ctx.db.select().from(agendaItems).where(eq(agendaItems.id, item!.id));
    expect(linked!.resolutionId).toBe(res.json().id);

    const taken = await post(url, { title: 'Again', clauses: [{ text: 'A.' }], agendaItemId: item!.id });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: 'agenda_item_has_resolution', resolutionId: res.json().id });
    for (const agendaItemId of [elsewhere!.id, '00000000-0000-4000-8000-000000000000']) {
      const wrong = await post(url, { title: 'Wrong item', text: 'A clause.', agendaItemId });
      expect(wrong.statusCode).toBe(422);
      expect(wrong.json().code).toBe('agenda_item_not_in_conference');
    }
  });

  it('answers 404 for a conference that does not exist', async () => {
    const res = await post('/api/v1/conferences/00000000-0000-4000-8000-000000000000/resolutions', {
      title: 'X',
      text: 'A clause.',
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('conference_not_found');
  });
});

describe('editing a clause', () => {
  it('changes its text and translations, and logs who did it', async () => {
    const r = await table(['Original one.', 'Original two.']);
    const clause = r.clauses[0]!;
    const res = await patch(
      `/api/v1/clauses/${clause.id}`,
      { text: 'Edited one.', translations: { fr: 'Un modifié.', es: 'Uno modificado.' } },
      'chair',
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      id: clause.id,
      number: 1,
      text: 'Edited one.',
      translations: { fr: 'Un modifié.', es: 'Uno modificado.' },
    });
    const event = await lastEvent(t, w.confA, 'clause.edited');
    expect(event).toMatchObject({
      actor: w.actors.chair.accountId,
      data: { clauseId: clause.id, changed: { text: { from: 'Original one.', to: 'Edited one.' } } },
    });

    // Named languages change, the others stay; null removes one.
    const res2 = await patch(`/api/v1/clauses/${clause.id}`, { translations: { es: null, fr: 'Un.' } }, 'admin');
    expect(res2.statusCode, res2.body).toBe(200);
    expect(res2.json()).toMatchObject({ text: 'Edited one.', translations: { fr: 'Un.' } });
    expect(res2.json().translations.es).toBeUndefined();
    expect((await get(`/api/v1/clauses/${clause.id}`)).json().translations).toEqual({ fr: 'Un.' });
  });

  it.each([
    ['an empty body', {}],
    ['an unknown field', { text: 'X.', number: 3 }],
    ['an empty text', { text: '' }],
    ['a language that is not an ISO 639-1 code', { translations: { FR: 'X.' } }],
  ])('refuses %s with 400', async (_what, body) => {
    const r = await table(['Clause.']);
    const res = await patch(`/api/v1/clauses/${r.clauses[0]!.id}`, body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('validation_failed');
  });

  it('answers 404 for a clause that does not exist', async () => {
    const res = await patch('/api/v1/clauses/00000000-0000-4000-8000-000000000000', { text: 'X.' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('clause_not_found');
  });

  it.each(['draft', 'open', 'closed'] as const)(
    'is refused with 409 clause_in_vote while a %s vote on the clause exists, and allowed once it is cancelled',
    async (state) => {
      const r = await table(['Clause one.', 'Clause two.']);
      const clause = r.clauses[0]!;
      const voteId = await insertVote(t, {
        conferenceId: w.confA,
        subjectType: 'clause',
        subjectId: clause.id,
        state,
        outcome: 'adopted',
      });
      const refused = await patch(`/api/v1/clauses/${clause.id}`, { text: 'Changed.' }, 'chair');
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'clause_in_vote', votes: [{ id: voteId, state }] });
      expect((await get(`/api/v1/clauses/${clause.id}`)).json().text).toBe('Clause one.');
      // The other clause is not under a vote.
      expect((await patch(`/api/v1/clauses/${r.clauses[1]!.id}`, { text: 'Two changed.' })).statusCode).toBe(200);

      await setVoteState(t, voteId, 'cancelled');
      const allowed = await patch(`/api/v1/clauses/${clause.id}`, { text: 'Changed.' }, 'chair');
      expect(allowed.statusCode, allowed.body).toBe(200);
    },
  );

  it('is refused while a vote on one of its amendments, or on the resolution as a whole, exists', async () => {
    const r = await table(['Clause one.', 'Clause two.']);
    const [c1, c2] = r.clauses;
    const a = await amend(r.id, { clauseId: c1!.id, kind: 'replace', text: 'Better one.' });
    const onAmendment = await insertVote(t, {
      conferenceId: w.confA,
      subjectType: 'amendment',
      subjectId: a.id,
      state: 'open',
    });
    const refused = await patch(`/api/v1/clauses/${c1!.id}`, { text: 'Changed.' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({
      code: 'clause_in_vote',
      votes: [{ id: onAmendment, subjectType: 'amendment' }],
    });
    expect((await patch(`/api/v1/clauses/${c2!.id}`, { text: 'Two changed.' })).statusCode).toBe(200);
    await setVoteState(t, onAmendment, 'cancelled');

    const onWhole = await insertVote(t, {
      conferenceId: w.confA,
      subjectType: 'resolution',
      subjectId: r.id,
      state: 'draft',
    });
    for (const c of [c1!, c2!]) {
      const res = await patch(`/api/v1/clauses/${c.id}`, { translations: { fr: 'Texte.' } });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'clause_in_vote', votes: [{ id: onWhole, subjectType: 'resolution' }] });
    }
  });
});

describe('amendments', () => {
  it('are tabled by a delegation head, numbered per resolution, listed per clause, and logged', async () => {
    const r = await table(['One.', 'Two.', 'Three.']);
    const [c1, c2] = r.clauses;
    const a1 = await amend(r.id, { clauseId: c2!.id, kind: 'replace', text: 'Two, better.' }, 'head');
    const a2 = await amend(r.id, { clauseId: c1!.id, kind: 'delete' }, 'otherHead');
    const a3 = await amend(r.id, { clauseId: c2!.id, kind: 'insert_after', text: 'Two and a half.' }, 'admin');
    expect([a1.number, a2.number, a3.number]).toEqual([1, 2, 3]);
    expect(a1).toMatchObject({ status: 'submitted', kind: 'replace', proposerDelegationId: w.reds.id });
    expect(a2).toMatchObject({ kind: 'delete', text: null, proposerDelegationId: w.golds.id });
    expect(a3.proposerDelegationId).toBeNull();

    const all = (await get(`/api/v1/resolutions/${r.id}/amendments`)).json<{ items: AmendmentBody[] }>();
    expect(all.items.map((a) => a.number)).toEqual([1, 2, 3]);
    const ofTwo = (await get(`/api/v1/resolutions/${r.id}/amendments?clauseId=${c2!.id}`)).json<{
      items: AmendmentBody[];
    }>();
    expect(ofTwo.items.map((a) => a.id)).toEqual([a1.id, a3.id]);
    const detail = (await get(`/api/v1/resolutions/${r.id}`)).json<ResolutionBody>();
    expect(detail.amendments).toHaveLength(3);

    const event = await lastEvent(t, w.confA, 'amendment.submitted');
    expect(event).toMatchObject({ actor: w.actors.admin.accountId, data: { amendmentId: a3.id, number: 3 } });
    const byHead = (await eventsOf(t, w.confA)).find(
      (e) => e.type === 'amendment.submitted' && (e.data as { amendmentId: string }).amendmentId === a1.id,
    );
    expect(byHead?.actor).toBe(w.actors.head.accountId);
  });

  it('lets the admin table on behalf of a delegation of the conference only', async () => {
    const r = await table(['One.']);
    const a = await post(
      `/api/v1/resolutions/${r.id}/amendments`,
      { clauseId: r.clauses[0]!.id, kind: 'delete', delegationId: w.golds.id },
      'admin',
    );
    expect(a.statusCode, a.body).toBe(201);
    expect(a.json().proposerDelegationId).toBe(w.golds.id);
    const elsewhere = await post(
      `/api/v1/resolutions/${r.id}/amendments`,
      { clauseId: r.clauses[0]!.id, kind: 'delete', delegationId: w.actors.headOfOther.delegationId },
      'admin',
    );
    expect(elsewhere.statusCode).toBe(422);
    expect(elsewhere.json().code).toBe('delegation_not_in_conference');
    const forAnother = await post(
      `/api/v1/resolutions/${r.id}/amendments`,
      { clauseId: r.clauses[0]!.id, kind: 'delete', delegationId: w.golds.id },
      'head',
    );
    expect(forAnother.statusCode).toBe(403);
    expect(forAnother.json().code).toBe('not_delegation_head');
  });

  it('get consecutive numbers when many are tabled at once', async () => {
    const r = await table(['One.', 'Two.']);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post(
          `/api/v1/resolutions/${r.id}/amendments`,
          { clauseId: r.clauses[i % 2]!.id, kind: 'replace', text: `Version ${i}.` },
          i % 3 === 0 ? 'admin' : i % 3 === 1 ? 'head' : 'otherHead',
        ),
      ),
    );
    expect(results.map((res) => res.statusCode)).toEqual(Array(12).fill(201));
    const numbers = results.map((res) => res.json<AmendmentBody>().number).sort((a, b) => a - b);
    expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it.each([
    ['replace without text', { kind: 'replace' }, 'amendment_text_required'],
    ['replace with blank text', { kind: 'replace', text: '   ' }, 'amendment_text_required'],
    ['insert_after without text', { kind: 'insert_after' }, 'amendment_text_required'],
    ['delete with text', { kind: 'delete', text: 'Something.' }, 'amendment_text_forbidden'],
  ])('refuses %s with 400 %s', async (_what, body, code) => {
    const r = await table(['One.']);
    const res = await post(`/api/v1/resolutions/${r.id}/amendments`, { clauseId: r.clauses[0]!.id, ...body }, 'head');
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe(code);
  });

  it('refuses an unknown kind or field with 400 validation_failed', async () => {
    const r = await table(['One.']);
    for (const body of [
      { clauseId: r.clauses[0]!.id, kind: 'rewrite', text: 'X.' },
      { clauseId: r.clauses[0]!.id, kind: 'delete', status: 'admitted' },
      { kind: 'delete' },
    ]) {
      const res = await post(`/api/v1/resolutions/${r.id}/amendments`, body, 'head');
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().code).toBe('validation_failed');
    }
  });

  it('refuses a clause of another resolution, or no clause at all, with 422 clause_not_in_resolution', async () => {
    const r = await table(['One.']);
    const other = await table(['Elsewhere.']);
    for (const clauseId of [other.clauses[0]!.id, '00000000-0000-4000-8000-000000000000']) {
      const res = await post(`/api/v1/resolutions/${r.id}/amendments`, { clauseId, kind: 'delete' }, 'head');
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ code: 'clause_not_in_resolution', clauseId });
    }
    expect((await get(`/api/v1/resolutions/${r.id}/amendments`)).json().items).toHaveLength(0);
  });

  it('answers 404 for a resolution or amendment that does not exist', async () => {
    const none = '00000000-0000-4000-8000-000000000000';
    const res = await post(`/api/v1/resolutions/${none}/amendments`, { clauseId: none, kind: 'delete' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('resolution_not_found');
    const d = await decide(none, 'admitted');
    expect(d.statusCode).toBe(404);
    expect(d.json().code).toBe('amendment_not_found');
  });
});

describe('amendment decisions', () => {
  async function inState(status: 'submitted' | 'admitted' | 'inadmissible' | 'withdrawn'): Promise<AmendmentBody> {
    const r = await table(['One.']);
    const a = await amend(r.id, { clauseId: r.clauses[0]!.id, kind: 'replace', text: 'Uno.' }, 'head');
    if (status === 'submitted') return a;
    if (status === 'admitted' || status === 'inadmissible') {
      expect((await decide(a.id, status, 'chair')).statusCode).toBe(200);
    } else {
      expect((await decide(a.id, 'withdrawn', 'head')).statusCode).toBe(200);
    }
    return { ...a, status };
  }

  it.each([
    ['submitted', 'admitted', 'chair', 'amendment.admitted'],
    ['submitted', 'inadmissible', 'chair', 'amendment.declared_inadmissible'],
    ['submitted', 'withdrawn', 'head', 'amendment.withdrawn'],
    ['admitted', 'withdrawn', 'head', 'amendment.withdrawn'],
  ] as const)('%s -> %s by the %s, logged as %s', async (from, to, by, type) => {
    const a = await inState(from);
    const res = await decide(a.id, to, by);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: a.id, status: to });
    expect(res.json().decidedAt).not.toBeNull();
    const event = await lastEvent(t, w.confA, type);
    expect(event).toMatchObject({ actor: w.actors[by].accountId, data: { amendmentId: a.id, from, to } });
  });

  it.each([
    ['admitted', 'admitted'],
    ['admitted', 'inadmissible'],
    ['inadmissible', 'admitted'],
    ['inadmissible', 'inadmissible'],
    ['inadmissible', 'withdrawn'],
    ['withdrawn', 'admitted'],
    ['withdrawn', 'inadmissible'],
    ['withdrawn', 'withdrawn'],
  ] as const)('refuses %s -> %s with 409 amendment_transition_invalid', async (from, to) => {
    const a = await inState(from);
    const res = await decide(a.id, to, 'admin');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'amendment_transition_invalid', from, to });
    expect((await get(`/api/v1/amendments/${a.id}`)).json().status).toBe(from);
  });

  it('refuses a status that is not a decision with 400', async () => {
    const a = await inState('submitted');
    for (const body of [{ status: 'submitted' }, { status: 'admitted', note: 'x' }, {}]) {
      const res = await patch(`/api/v1/amendments/${a.id}`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().code).toBe('validation_failed');
    }
  });

  it.each(['draft', 'open', 'closed'] as const)(
    'refuses to withdraw an amendment put to a %s vote: 409 amendment_in_vote, until that vote is cancelled',
    async (state) => {
      const a = await inState('admitted');
      const voteId = await insertVote(t, {
        conferenceId: w.confA,
        subjectType: 'amendment',
        subjectId: a.id,
        state,
        outcome: 'rejected',
      });
      for (const by of ['head', 'admin'] as const) {
        const res = await decide(a.id, 'withdrawn', by);
        expect(res.statusCode).toBe(409);
        expect(res.json()).toMatchObject({ code: 'amendment_in_vote', votes: [{ id: voteId, state }] });
      }
      expect((await get(`/api/v1/amendments/${a.id}`)).json().status).toBe('admitted');
      if (state !== 'closed') {
        await setVoteState(t, voteId, 'cancelled');
        expect((await decide(a.id, 'withdrawn', 'head')).statusCode).toBe(200);
      }
    },
  );
});

describe('the consolidated text', () => {
  it('applies the outcomes of closed votes, keeps numbers stable and traceable', async () => {
    const r = await table(['One.', 'Two.', 'Three.', 'Four.', 'Five.', 'Six.']);
    const [c1, c2, c3, c4, c5, c6] = r.clauses;
    const replaceTwo = await amend(r.id, { clauseId: c2!.id, kind: 'replace', text: 'Two, amended.' });
    const insertAfterThree = await amend(r.id, { clauseId: c3!.id, kind: 'insert_after', text: 'Three and a half.' });
    const deleteFour = await amend(r.id, { clauseId: c4!.id, kind: 'delete' }, 'otherHead');
    const rejectedReplaceOne = await amend(r.id, { clauseId: c1!.id, kind: 'replace', text: 'One, rejected.' });
    const inadmissible = await amend(r.id, { clauseId: c6!.id, kind: 'replace', text: 'Six, out of order.' });
    const neverVoted = await amend(r.id, { clauseId: c6!.id, kind: 'delete' });
    for (const a of [replaceTwo, insertAfterThree, deleteFour, rejectedReplaceOne, neverVoted]) {
      expect((await decide(a.id, 'admitted')).statusCode).toBe(200);
    }
    expect((await decide(inadmissible.id, 'inadmissible')).statusCode).toBe(200);

    const vote = (
      subjectType: 'clause' | 'amendment',
      subjectId: string,
      outcome: 'adopted' | 'rejected' | 'no_quorum',
      state: 'closed' | 'open' = 'closed',
    ) => insertVote(t, { conferenceId: w.confA, subjectType, subjectId, state, outcome });
    await vote('amendment', replaceTwo.id, 'adopted');
    await vote('clause', c2!.id, 'adopted');
    await vote('amendment', insertAfterThree.id, 'adopted');
    await vote('amendment', deleteFour.id, 'adopted');
    await vote('amendment', rejectedReplaceOne.id, 'rejected');
    await vote('clause', c5!.id, 'no_quorum');
    // An open vote decides nothing yet.
    await vote('clause', c6!.id, 'rejected', 'open');

    const original = (await get(`/api/v1/resolutions/${r.id}/text?version=original`)).json();
    expect(original.clauses.map((c: { number: string }) => c.number)).toEqual(['1', '2', '3', '4', '5', '6']);

    const res = await get(`/api/v1/resolutions/${r.id}/text?version=adopted`);
    expect(res.statusCode, res.body).toBe(200);
    const adopted = res.json();
    expect(adopted.version).toBe('adopted');
    expect(adopted.clauses).toEqual([
      { number: '1', text: 'One.', sourceClauseId: c1!.id, amendedBy: [], fallback: false },
      { number: '2', text: 'Two, amended.', sourceClauseId: c2!.id, amendedBy: [replaceTwo.id], fallback: false },
      { number: '3', text: 'Three.', sourceClauseId: c3!.id, amendedBy: [], fallback: false },
      {
        number: '3a',
        text: 'Three and a half.',
        sourceClauseId: c3!.id,
        amendedBy: [insertAfterThree.id],
        fallback: false,
      },
      { number: '6', text: 'Six.', sourceClauseId: c6!.id, amendedBy: [], fallback: false },
    ]);
    expect(adopted.text).toBe('1. One.\n\n2. Two, amended.\n\n3. Three.\n\n3a. Three and a half.\n\n6. Six.');
    expect(adopted.resolutionOutcome).toBeNull();

    // The latest closed vote on a subject is the one that counts.
    await vote('clause', c1!.id, 'rejected');
    const later = (await get(`/api/v1/resolutions/${r.id}/text?version=adopted`)).json();
    expect(later.clauses.map((c: { number: string }) => c.number)).toEqual(['2', '3', '3a', '6']);

    await insertVote(t, {
      conferenceId: w.confA,
      subjectType: 'resolution',
      subjectId: r.id,
      state: 'closed',
      outcome: 'adopted',
    });
    const whole = (await get(`/api/v1/resolutions/${r.id}/text?version=adopted`)).json();
    expect(whole.resolutionOutcome).toBe('adopted');
  });

  it('gives translations where they exist, the original flagged as fallback where not', async () => {
    const res = await post(`/api/v1/conferences/${w.confA}/resolutions`, {
      title: 'Trilingual',
      clauses: [
        { text: 'One.', translations: { fr: 'Un.', es: 'Uno.' } },
        { text: 'Two.', translations: { fr: 'Deux.' } },
        { text: 'Three.', translations: { fr: 'Trois.', es: 'Tres.' } },
      ],
    });
    const r = res.json<ResolutionBody>();
    const es = (await get(`/api/v1/resolutions/${r.id}/text?lang=es`)).json();
    expect(es.lang).toBe('es');
    expect(es.clauses.map((c: { text: string; fallback: boolean }) => [c.text, c.fallback])).toEqual([
      ['Uno.', false],
      ['Two.', true],
      ['Tres.', false],
    ]);
    expect(es.text).toBe('1. Uno.\n\n2. Two.\n\n3. Tres.');

    // An adopted amendment's wording has no translation: the original-language wording, flagged.
    const a = await amend(r.id, { clauseId: r.clauses[2]!.id, kind: 'replace', text: 'Three, amended.' });
    expect((await decide(a.id, 'admitted')).statusCode).toBe(200);
    await insertVote(t, {
      conferenceId: w.confA,
      subjectType: 'amendment',
      subjectId: a.id,
      state: 'closed',
      outcome: 'adopted',
    });
    const fr = (await get(`/api/v1/resolutions/${r.id}/text?version=adopted&lang=fr`)).json();
    expect(fr.clauses.map((c: { text: string; fallback: boolean }) => [c.text, c.fallback])).toEqual([
      ['Un.', false],
      ['Deux.', false],
      ['Three, amended.', true],
    ]);

    const plain = (await get(`/api/v1/resolutions/${r.id}/text`)).json();
    expect(plain.lang).toBeNull();
    expect(plain.clauses.every((c: { fallback: boolean }) => !c.fallback)).toBe(true);
    expect((await get(`/api/v1/resolutions/${r.id}/text?lang=french`)).statusCode).toBe(400);
  });
});
