/**
 * GET /api/v1/admin/backup: a consistent copy of the embedded database (PGlite) while the
 * service runs and voting goes on; `npm run backup -- FILE` is its client and
 * `npm run restore -- FILE` (service stopped) brings it back. On PostgreSQL the server's own
 * tools do this better (pg_dump, pg_basebackup): the route says so with 409.
 */
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors } from '../http/schemas.js';
import { DomainError } from '../domain/errors.js';

export function registerBackupRoute(app: App, ctx: AppContext): void {
  app.get(
    '/api/v1/admin/backup',
    {
      schema: {
        tags: ['operations'],
        summary: 'A consistent copy of the embedded database, taken while it runs (admin; gzipped tar)',
        description:
          'For the embedded database (no DATABASE_URL) only: the data folder as PGlite dumps it, taken in one ' +
          'transaction after a checkpoint, so it holds every ballot acknowledged before the request. Requests wait ' +
          'while it is read (about a second per 5 MB). Restore with `npm run restore -- FILE` while the service is ' +
          'stopped. On PostgreSQL: 409, use pg_dump or pg_basebackup (docs/deploy.md).',
        security: [{ bearer: [] }],
        response: {
          200: z.unknown().describe('application/gzip (a tar of the data folder)'),
          ...errors(401, 403, 409),
        },
      },
      config: { access: { action: 'service.manage' } },
    },
    async (req, reply) => {
      if (ctx.database.kind !== 'pglite') {
        throw new DomainError(
          'conflict',
          'backup_not_embedded',
          'This service runs on PostgreSQL: back it up with pg_dump or pg_basebackup (docs/deploy.md).',
        );
      }
      const startedAt = performance.now();
      const blob = await ctx.database.dump();
      req.log.info({ bytes: blob.size, ms: Math.round(performance.now() - startedAt) }, 'backup taken');
      const stamp = ctx.clock().toISOString().replace(/[:.]/g, '-');
      return reply
        .type('application/gzip')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="plenary-backup-${stamp}.tar.gz"`)
        .send(Buffer.from(await blob.arrayBuffer()));
    },
  );
}
