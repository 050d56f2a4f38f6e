/** Resolutions, their clauses and amendments, and the consolidated text. */
import { z } from 'zod';
import { asc, eq } from 'drizzle-orm';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, pageOf, pageQuery, paged } from '../http/schemas.js';
import { resolutions } from '../db/schema.js';
import { assertReadable } from '../conferences/conference-access.js';
import { loadClausesAndAmendments, loadResolution, resolutionText } from './resolution-service.js';
import {
  amendmentView,
  clauseView,
  resolutionDetailSchema,
  resolutionSchema,
  resolutionView,
} from './resolution-views.js';

const textSchema = z
  .object({
    resolutionId: z.string(),
    title: z.string(),
    version: z.enum(['original', 'adopted']),
    clauses: z.array(
      z.object({ number: z.string(), text: z.string(), sourceClauseId: z.string(), amendedBy: z.array(z.string()) }),
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
    },
    async (req) => {
      await assertReadable(ctx, req, req.params.conferenceId);
      const offset = Number(req.query.cursor ?? 0);
      const rows = await ctx.db
        .select()
        .from(resolutions)
        .where(eq(resolutions.conferenceId, req.params.conferenceId))
        .orderBy(asc(resolutions.createdAt), asc(resolutions.id))
        .limit(req.query.limit + 1)
        .offset(offset);
      const page = paged(rows, req.query.limit, offset);
      return { items: page.items.map(resolutionView), nextCursor: page.nextCursor };
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
        params: idParams('resolutionId'),
        querystring: z.object({ version: z.enum(['original', 'adopted']).default('original') }),
        response: { 200: textSchema, ...errors(400, 401, 404) },
      },
    },
    async (req) => {
      const r = await loadResolution(ctx.db, req.params.resolutionId);
      await assertReadable(ctx, req, r.conferenceId);
      const t = await resolutionText(ctx, r.id, req.query.version);
      return { resolutionId: r.id, title: t.title, version: t.version, clauses: t.clauses, text: t.text };
    },
  );
}
