/** Parties, delegations and delegates (reads; the desk's writes live beside them). */
import { asc, eq } from 'drizzle-orm';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, pageOf, pageQuery, paged } from '../http/schemas.js';
import { notFound } from '../domain/errors.js';
import { delegates, delegations, parties } from '../db/schema.js';
import { assertReadable } from '../conferences/conference-access.js';
import {
  delegateSchema,
  delegateView,
  delegationSchema,
  delegationView,
  partySchema,
  partyView,
} from './delegation-views.js';
import { registerDelegationWriteRoutes } from './delegation-write-routes.js';

export function registerDelegationRoutes(app: App, ctx: AppContext): void {
  registerDelegationWriteRoutes(app, ctx);

  app.get(
    '/api/v1/parties',
    {
      schema: {
        tags: ['delegations'],
        summary: 'Member parties',
        querystring: pageQuery,
        response: { 200: pageOf(partySchema), ...errors(400) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const offset = Number(req.query.cursor ?? 0);
      const rows = await ctx.db
        .select()
        .from(parties)
        .orderBy(asc(parties.name), asc(parties.id))
        .limit(req.query.limit + 1)
        .offset(offset);
      const page = paged(rows, req.query.limit, offset);
      return { items: page.items.map(partyView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/conferences/:conferenceId/delegations',
    {
      schema: {
        tags: ['delegations'],
        summary: "The conference's delegations with their vote allocations",
        params: idParams('conferenceId'),
        querystring: pageQuery,
        response: { 200: pageOf(delegationSchema), ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      await assertReadable(ctx, req, req.params.conferenceId);
      const offset = Number(req.query.cursor ?? 0);
      const rows = await ctx.db
        .select()
        .from(delegations)
        .where(eq(delegations.conferenceId, req.params.conferenceId))
        .orderBy(asc(delegations.name), asc(delegations.id))
        .limit(req.query.limit + 1)
        .offset(offset);
      const page = paged(rows, req.query.limit, offset);
      return { items: page.items.map(delegationView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/delegations/:delegationId',
    {
      schema: {
        tags: ['delegations'],
        summary: 'One delegation',
        params: idParams('delegationId'),
        response: { 200: delegationSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const [d] = await ctx.db.select().from(delegations).where(eq(delegations.id, req.params.delegationId)).limit(1);
      if (!d) throw notFound('delegation', req.params.delegationId);
      await assertReadable(ctx, req, d.conferenceId);
      return delegationView(d);
    },
  );

  app.get(
    '/api/v1/delegations/:delegationId/delegates',
    {
      schema: {
        tags: ['delegations'],
        summary: "A delegation's delegates",
        params: idParams('delegationId'),
        querystring: pageQuery,
        response: { 200: pageOf(delegateSchema), ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const [d] = await ctx.db.select().from(delegations).where(eq(delegations.id, req.params.delegationId)).limit(1);
      if (!d) throw notFound('delegation', req.params.delegationId);
      await assertReadable(ctx, req, d.conferenceId);
      const offset = Number(req.query.cursor ?? 0);
      const rows = await ctx.db
        .select()
        .from(delegates)
        .where(eq(delegates.delegationId, d.id))
        .orderBy(asc(delegates.name), asc(delegates.id))
        .limit(req.query.limit + 1)
        .offset(offset);
      const page = paged(rows, req.query.limit, offset);
      return { items: page.items.map(delegateView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/delegates/:delegateId',
    {
      schema: {
        tags: ['delegations'],
        summary: 'One delegate (never their access code)',
        params: idParams('delegateId'),
        response: { 200: delegateSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const [d] = await ctx.db.select().from(delegates).where(eq(delegates.id, req.params.delegateId)).limit(1);
      if (!d) throw notFound('delegate', req.params.delegateId);
      await assertReadable(ctx, req, d.conferenceId);
      return delegateView(d);
    },
  );
}
