/**
 * Resolutions, their clauses and amendments, and the consolidated text.
 *
 * Roles are declared here; whether the caller acts on their own conference (and, for
 * a delegate, heads the right delegation) needs the rows, so the services check it
 * inside their transactions.
 */
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, idSchema, pageOf, pageQuery, paged } from '../http/schemas.js';
import { assertReadable } from '../conferences/conference-access.js';
import { actor } from '../http/access.js';
import {
  createResolution,
  editClause,
  loadClausesAndAmendments,
  loadResolution,
  resolutionText,
} from './resolution-service.js';
import { decideAmendment, submitAmendment } from './amendment-service.js';
import { amendmentsOf, findAmendment, findClause, listResolutions } from './resolution-repository.js';
import {
  amendmentSchema,
  amendmentView,
  clauseSchema,
  clauseView,
  resolutionDetailSchema,
  resolutionSchema,
  resolutionView,
} from './resolution-views.js';

/** ISO 639-1: the alliance works in English, French and Spanish, but any two-letter code is accepted. */
const langCode = z.string().regex(/^[a-z]{2}$/, 'must be an ISO 639-1 language code such as fr or es');
const MAX_CLAUSE_LENGTH = 20_000;
const clauseText = z.string().trim().min(1, 'must not be empty').max(MAX_CLAUSE_LENGTH);
const title = z.string().trim().min(1, 'must not be empty').max(500);

const agendaItemId = idSchema
  .optional()
  .describe('The agenda item under which it is debated (one resolution per item)');
const createBody = z
  .union([
    z.strictObject({
      title: title.optional().describe('Taken from the text ("Resolution: ..." line or leading heading) when left out'),
      agendaItemId,
      text: z
        .string()
        .max(500_000)
        .describe('Plain text or Markdown, split into numbered clauses; page-break artefacts are joined'),
    }),
    z.strictObject({
      title,
      agendaItemId,
      clauses: z
        .array(z.strictObject({ text: clauseText, translations: z.record(langCode, clauseText).optional() }))
        .max(2000),
    }),
  ])
  .meta({ id: 'NewResolution' });

const clausePatch = z
  .strictObject({
    text: clauseText.optional(),
    translations: z
      .record(langCode, clauseText.nullable())
      .optional()
      .describe('Translations to set, by language code; null removes one. Languages not named are kept.'),
  })
  .refine((b) => b.text !== undefined || b.translations !== undefined, {
    message: 'give text, translations or both',
  })
  .meta({ id: 'ClausePatch' });

const amendmentBody = z
  .strictObject({
    clauseId: idSchema,
    kind: z.enum(['replace', 'insert_after', 'delete']),
    text: z
      .string()
      .max(MAX_CLAUSE_LENGTH)
      .optional()
      .describe('Required for replace and insert_after; not for delete'),
    delegationId: idSchema
      .optional()
      .describe("The admin may table on a delegation's behalf; a head tables for their own delegation"),
  })
  .meta({ id: 'NewAmendment' });

const amendmentPatch = z
  .strictObject({
    status: z
      .enum(['admitted', 'inadmissible', 'withdrawn'])
      .describe('admitted, inadmissible: the chair; withdrawn: the proposing delegation head'),
  })
  .meta({ id: 'AmendmentDecision' });

const textSchema = z
  .object({
    resolutionId: z.string(),
    title: z.string(),
    version: z.enum(['original', 'adopted']),
    lang: z.string().nullable(),
    resolutionOutcome: z
      .enum(['adopted', 'rejected'])
      .nullable()
      .describe('The latest closed vote on the resolution as a whole (adopted version only)'),
    clauses: z.array(
      z.object({
        number: z.string(),
        text: z.string(),
        sourceClauseId: z.string(),
        amendedBy: z.array(z.string()),
        fallback: z.boolean().describe('A language was asked for and this paragraph is given in the original'),
      }),
    ),
    text: z.string(),
  })
  .meta({ id: 'ResolutionText' });

export function registerResolutionRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/v1/conferences/:conferenceId/resolutions',
    {
      schema: {
        tags: ['resolutions'],
        summary: "The conference's resolutions",
        params: idParams('conferenceId'),
        querystring: pageQuery,
        response: { 200: pageOf(resolutionSchema), ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      await assertReadable(ctx, req, req.params.conferenceId);
      const offset = Number(req.query.cursor ?? 0);
      const rows = await listResolutions(ctx.db, req.params.conferenceId, req.query.limit + 1, offset);
      const page = paged(rows, req.query.limit, offset);
      return { items: page.items.map(resolutionView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/conferences/:conferenceId/resolutions',
    {
      schema: {
        tags: ['resolutions'],
        summary: 'Table a resolution: from its text (split into clauses) or from its clauses',
        description:
          'Admin or chair of the conference. `{title, text}` splits plain text or Markdown into numbered ' +
          'clauses (headings, letterheads and blank lines are not clauses; a sentence cut by a page break is ' +
          'joined); a text without any clause is refused with 422 `no_clauses`. `{title, clauses}` takes the ' +
          'clauses as given, with optional translations.',
        security: [{ bearer: [] }],
        params: idParams('conferenceId'),
        body: createBody,
        response: { 201: resolutionDetailSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: { access: { action: 'resolution.manage' } },
    },
    async (req, reply) => {
      const p = actor(req);
      const { resolution, clauses } = await createResolution(ctx, p, req.params.conferenceId, req.body);
      return reply.code(201).send({ ...resolutionView(resolution), clauses: clauses.map(clauseView), amendments: [] });
    },
  );

  app.get(
    '/api/v1/resolutions/:resolutionId',
    {
      schema: {
        tags: ['resolutions'],
        summary: 'A resolution with its clauses and amendments',
        params: idParams('resolutionId'),
        response: { 200: resolutionDetailSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const r = await loadResolution(ctx.db, req.params.resolutionId);
      await assertReadable(ctx, req, r.conferenceId);
      const { clauses, amendments } = await loadClausesAndAmendments(ctx.db, r.id);
      return { ...resolutionView(r), clauses: clauses.map(clauseView), amendments: amendments.map(amendmentView) };
    },
  );

  app.get(
    '/api/v1/resolutions/:resolutionId/text',
    {
      schema: {
        tags: ['resolutions'],
        summary: 'The consolidated text: as tabled (original) or with the outcomes recorded so far (adopted)',
        description:
          'adopted applies the outcomes of closed votes: adopted amendments applied, rejected or deleted clauses ' +
          'removed, inserted clauses numbered after the clause they follow ("3a"). Clause numbers never move. ' +
          'With `lang`, each paragraph is given in that language where a translation exists, else in the ' +
          'original with `fallback: true`.',
        params: idParams('resolutionId'),
        querystring: z.object({
          version: z.enum(['original', 'adopted']).default('original'),
          lang: langCode.optional(),
        }),
        response: { 200: textSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const r = await loadResolution(ctx.db, req.params.resolutionId);
      await assertReadable(ctx, req, r.conferenceId);
      return resolutionText(ctx, r.id, req.query.version, req.query.lang);
    },
  );

  app.get(
    '/api/v1/clauses/:clauseId',
    {
      schema: {
        tags: ['resolutions'],
        summary: 'A clause with its translations',
        params: idParams('clauseId'),
        response: { 200: clauseSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const c = await findClause(ctx.db, req.params.clauseId);
      const r = await loadResolution(ctx.db, c.resolutionId);
      await assertReadable(ctx, req, r.conferenceId);
      return clauseView(c);
    },
  );

  app.patch(
    '/api/v1/clauses/:clauseId',
    {
      schema: {
        tags: ['resolutions'],
        summary: 'Edit a clause or its translations',
        description:
          'Admin or chair of the conference. Refused with 409 `clause_in_vote` while a vote that is not ' +
          'cancelled refers to the clause, to one of its amendments, or to the resolution as a whole.',
        security: [{ bearer: [] }],
        params: idParams('clauseId'),
        body: clausePatch,
        response: { 200: clauseSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: { access: { action: 'resolution.manage' } },
    },
    async (req) => {
      const p = actor(req);
      return clauseView(await editClause(ctx, p, req.params.clauseId, req.body));
    },
  );

  app.get(
    '/api/v1/resolutions/:resolutionId/amendments',
    {
      schema: {
        tags: ['resolutions'],
        summary: "The resolution's amendments, in the order they were tabled; ?clauseId= for one clause's",
        params: idParams('resolutionId'),
        querystring: pageQuery.extend({
          clauseId: idSchema.optional(),
          status: z.enum(['submitted', 'admitted', 'inadmissible', 'withdrawn']).optional(),
        }),
        response: { 200: pageOf(amendmentSchema), ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const r = await loadResolution(ctx.db, req.params.resolutionId);
      await assertReadable(ctx, req, r.conferenceId);
      const offset = Number(req.query.cursor ?? 0);
      const rows = await amendmentsOf(
        ctx.db,
        r.id,
        { clauseId: req.query.clauseId, status: req.query.status },
        { limit: req.query.limit + 1, offset },
      );
      const page = paged(rows, req.query.limit, offset);
      return { items: page.items.map(amendmentView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/resolutions/:resolutionId/amendments',
    {
      schema: {
        tags: ['resolutions'],
        summary: 'Table an amendment to a clause: replace it, insert a clause after it, or delete it',
        description:
          'The head of a delegation of the conference, or the admin. `text` is required for replace and ' +
          'insert_after and refused for delete (400 `amendment_text_required` / `amendment_text_forbidden`); ' +
          'the clause must be one of this resolution (422 `clause_not_in_resolution`). Numbers are given ' +
          'in order per resolution.',
        security: [{ bearer: [] }],
        params: idParams('resolutionId'),
        body: amendmentBody,
        response: { 201: amendmentSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: { access: { action: 'amendment.submit' } },
    },
    async (req, reply) => {
      const p = actor(req);
      const a = await submitAmendment(ctx, p, req.params.resolutionId, req.body);
      return reply.code(201).send(amendmentView(a));
    },
  );

  app.get(
    '/api/v1/amendments/:amendmentId',
    {
      schema: {
        tags: ['resolutions'],
        summary: 'An amendment',
        params: idParams('amendmentId'),
        response: { 200: amendmentSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const a = await findAmendment(ctx.db, req.params.amendmentId);
      const r = await loadResolution(ctx.db, a.resolutionId);
      await assertReadable(ctx, req, r.conferenceId);
      return amendmentView(a);
    },
  );

  app.patch(
    '/api/v1/amendments/:amendmentId',
    {
      schema: {
        tags: ['resolutions'],
        summary: 'Admit, declare inadmissible, or withdraw an amendment',
        description:
          'admitted / inadmissible: the chair or admin, from submitted. withdrawn: the head of the proposing ' +
          'delegation or the admin, from submitted or admitted, and only while no vote (other than a ' +
          'cancelled one) refers to it (409 `amendment_in_vote`). Any other change is 409 ' +
          '`amendment_transition_invalid` with `from` and `to`.',
        security: [{ bearer: [] }],
        params: idParams('amendmentId'),
        body: amendmentPatch,
        response: { 200: amendmentSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: { access: { action: ['amendment.rule', 'amendment.withdraw'] } },
    },
    async (req) => {
      const p = actor(req);
      return amendmentView(await decideAmendment(ctx, p, req.params.amendmentId, req.body.status));
    },
  );
}
