/**
 * Access declared on the route. Every /api route says in its options who may call it:
 *
 *   config: { access: 'public' }             anyone (a private conference's data is hidden by assertReadable)
 *   config: { access: 'account' }            any signed-in account (the service decides what it may see)
 *   config: { access: { action: 'agenda.manage', conference: { param: 'itemId', of: agendaItemConference } } }
 *
 * and one preHandler hook enforces it before the handler, in the order the API promises:
 * 401 without an account, 403 forbidden_role (src/domain/permissions.ts) before the
 * database is touched, then the resource is loaded to learn its conference (404), then
 * 403 when the account belongs to another conference (or the delegate to another seat).
 * A route without `access` fails at registration, so none is open by mistake. Services
 * check again, against the rows they have locked, what depends on the data.
 */
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import type { DbOrTx } from '../db/client.js';
import { DomainError, notFound } from '../domain/errors.js';
import { permissionOf, rolesFor, type Action } from '../domain/permissions.js';
import { assertConference, requireAccount, type Principal } from '../auth/principal.js';
import { canRead, loadConference } from '../conferences/conference-access.js';
import type { App } from './types.js';

/** Finds the conference of the resource named by the route parameter; throws not_found when there is none. */
export type ConferenceOf = (db: DbOrTx, id: string) => Promise<string>;

export interface ActionAccess {
  /** The action (or any of the actions, when the service picks one by the data). */
  action: Action | readonly Action[];
  /**
   * The conference the request acts on: the account must belong to it (an admin bound
   * to no conference acts on all). Without `of`, the parameter is the conference id.
   * For a `delegateOwnSeat` action the parameter names the delegate.
   */
  conference?: { param: string; of?: ConferenceOf };
  /** Outsiders of a private conference get 404 (401 when anonymous) before the role is looked at. */
  hideFromOutsiders?: true;
}

export type RouteAccess = 'public' | 'account' | ActionAccess;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

/** The conference id itself, after checking that it exists (404 before 403 wrong_conference). */
export const existingConference: ConferenceOf = async (db, id) => (await loadConference(db, id)).id;

function paramOf(req: FastifyRequest, name: string): string {
  const value = (req.params as Record<string, unknown>)[name];
  if (typeof value !== 'string') throw new Error(`access: the route has no parameter ${name}`);
  return value;
}

export async function enforceAccess(ctx: AppContext, req: FastifyRequest, access: RouteAccess): Promise<void> {
  if (access === 'public') return;
  if (access === 'account') {
    // A route with deferSessionCheck has verified claims and reads the session itself.
    if (!req.claims) requireAccount(req);
    return;
  }
  const actions: readonly Action[] = typeof access.action === 'string' ? [access.action] : access.action;
  const target = access.conference;
  let conferenceId: string | null = null;
  if (access.hideFromOutsiders && target) {
    const c = await loadConference(ctx.db, await conferenceIdOf(ctx, req, target));
    conferenceId = c.id;
    if (!canRead(req.principal, c)) {
      if (!req.principal) requireAccount(req);
      throw notFound('conference', c.id);
    }
  }
  const p = requireAccount(req);
  const permissions = actions.map(permissionOf);
  const allowed = rolesFor(actions);
  if (!allowed.includes(p.role)) {
    throw new DomainError('forbidden', 'forbidden_role', `This needs one of the roles: ${allowed.join(', ')}.`, {
      role: p.role,
    });
  }
  if (permissions.some((x) => x.scope === 'service') && p.conferenceId !== null) {
    throw new DomainError(
      'forbidden',
      'global_admin_required',
      'Only an administrator of the whole service may do this.',
    );
  }
  if (!target) return;
  conferenceId ??= await conferenceIdOf(ctx, req, target);
  assertConference(p, conferenceId);
  if (
    p.role === 'delegate' &&
    permissions.some((x) => x.delegateOwnSeat) &&
    p.delegateId !== paramOf(req, target.param)
  ) {
    throw new DomainError('forbidden', 'not_your_seat', 'A delegate may only do this for their own seat.');
  }
}

async function conferenceIdOf(ctx: AppContext, req: FastifyRequest, target: NonNullable<ActionAccess['conference']>) {
  const id = paramOf(req, target.param);
  return target.of ? target.of(ctx.db, id) : id;
}

/** Registers the hook (after the one that reads the bearer token) and refuses routes that declare no access. */
export function registerAccess(app: App, ctx: AppContext): void {
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && route.config?.access === undefined) {
      throw new Error(
        `${String(route.method)} ${route.url} declares no access: add config.access (see src/http/access.ts).`,
      );
    }
  });
  app.addHook('preHandler', async (req) => {
    const access = req.routeOptions.config.access;
    if (access !== undefined) await enforceAccess(ctx, req, access);
  });
}

/** The caller of a route whose access the hook has checked. */
export const actor = (req: FastifyRequest): Principal => requireAccount(req);
