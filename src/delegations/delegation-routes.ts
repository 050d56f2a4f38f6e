/** Parties, delegations and delegates (reads; the desk's writes live beside them). */
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, pageOf, pageQuery, paged } from '../http/schemas.js';
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
import { listDelegates, listDelegations, listParties, loadDelegate, loadDelegation } from './delegation-repository.js';

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
      const rows = await listParties(ctx.db, req.query.limit + 1, offset);
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
      const rows = await listDelegations(ctx.db, req.params.conferenceId, req.query.limit + 1, offset);
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
      const d = await loadDelegation(ctx.db, req.params.delegationId);
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
      const d = await loadDelegation(ctx.db, req.params.delegationId);
      await assertReadable(ctx, req, d.conferenceId);
      const offset = Number(req.query.cursor ?? 0);
      const rows = await listDelegates(ctx.db, d.id, req.query.limit + 1, offset);
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
      const d = await loadDelegate(ctx.db, req.params.delegateId);
      await assertReadable(ctx, req, d.conferenceId);
      return delegateView(d);
    },
  );
}
