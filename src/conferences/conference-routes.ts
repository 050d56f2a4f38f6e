/** Conferences, sittings and the agenda. */
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, pageOf, pageQuery, paged } from '../http/schemas.js';
import { assertReadable } from './conference-access.js';
import {
  agendaItemSchema,
  agendaItemView,
  conferenceSchema,
  conferenceView,
  sittingSchema,
  sittingView,
} from './conference-views.js';
import { registerConferenceWriteRoutes } from './conference-write-routes.js';
import { listAgendaItems, listConferences, listSittings } from './conference-repository.js';

export function registerConferenceRoutes(app: App, ctx: AppContext): void {
  registerConferenceWriteRoutes(app, ctx);

  app.get(
    '/api/v1/conferences',
    {
      schema: {
        tags: ['conferences'],
        summary: 'Conferences you may read: the public ones, and your own',
        querystring: pageQuery,
        response: { 200: pageOf(conferenceSchema), ...errors(400, 401) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const { limit, cursor } = req.query;
      const offset = Number(cursor ?? 0);
      const p = req.principal;
      const seesAll = p?.role === 'admin' && p.conferenceId === null;
      const readable = seesAll ? 'all' : { own: p?.conferenceId ?? null };
      const rows = await listConferences(ctx.db, readable, limit + 1, offset);
      const page = paged(rows, limit, offset);
      return { items: page.items.map(conferenceView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/conferences/:conferenceId',
    {
      schema: {
        tags: ['conferences'],
        summary: 'One conference',
        params: idParams('conferenceId'),
        response: { 200: conferenceSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => conferenceView(await assertReadable(ctx, req, req.params.conferenceId)),
  );

  app.get(
    '/api/v1/conferences/:conferenceId/sittings',
    {
      schema: {
        tags: ['conferences'],
        summary: "The conference's sittings in order",
        params: idParams('conferenceId'),
        querystring: pageQuery,
        response: { 200: pageOf(sittingSchema), ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      await assertReadable(ctx, req, req.params.conferenceId);
      const offset = Number(req.query.cursor ?? 0);
      const rows = await listSittings(ctx.db, req.params.conferenceId, req.query.limit + 1, offset);
      const page = paged(rows, req.query.limit, offset);
      return { items: page.items.map(sittingView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/conferences/:conferenceId/agenda',
    {
      schema: {
        tags: ['conferences'],
        summary: 'The agenda in order, with the current item marked',
        params: idParams('conferenceId'),
        querystring: pageQuery,
        response: {
          200: pageOf(agendaItemSchema).extend({ currentItemId: z.string().nullable() }),
          ...errors(400, 401, 404),
        },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const c = await assertReadable(ctx, req, req.params.conferenceId);
      const offset = Number(req.query.cursor ?? 0);
      const rows = await listAgendaItems(ctx.db, c.id, req.query.limit + 1, offset);
      const page = paged(rows, req.query.limit, offset);
      return {
        items: page.items.map(agendaItemView),
        nextCursor: page.nextCursor,
        currentItemId: c.currentAgendaItemId,
      };
    },
  );
}
