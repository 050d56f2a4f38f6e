/**
 * Who may be named a teller (docs/e2e-ballots.md section 10): the chair picks the tellers of
 * an encrypted vote or election in the console, and may not list accounts (account.manage is
 * the admins'). This read gives the chair exactly the accounts a ceremony accepts (enabled
 * staff accounts of the conference or of the whole service: createCeremony's own rule), and
 * of each only its id, username and role: nothing of its password, nothing of a delegate.
 */
import { and, asc, eq, inArray, isNull, isNotNull, or } from 'drizzle-orm';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import type { DbOrTx } from '../db/client.js';
import { accounts } from '../db/schema.js';
import { errors, idParams } from '../http/schemas.js';
import { existingConference } from '../http/access.js';

const STAFF_ROLES = ['chair', 'auditor', 'admin'] as const;
/** Far above any conference's staff; a ceremony names at most 9. */
const MAX_LISTED = 500;

export const tellerAccountSchema = z
  .object({ id: z.string(), username: z.string(), role: z.enum(STAFF_ROLES) })
  .meta({ id: 'TellerAccount' });

export async function tellerAccounts(db: DbOrTx, conferenceId: string): Promise<z.infer<typeof tellerAccountSchema>[]> {
  const rows = await db
    .select({ id: accounts.id, username: accounts.username, role: accounts.role })
    .from(accounts)
    .where(
      and(
        eq(accounts.disabled, false),
        isNotNull(accounts.username),
        inArray(accounts.role, [...STAFF_ROLES]),
        or(eq(accounts.conferenceId, conferenceId), isNull(accounts.conferenceId)),
      ),
    )
    .orderBy(asc(accounts.username), asc(accounts.id))
    .limit(MAX_LISTED);
  return rows.map((r) => ({ id: r.id, username: r.username!, role: r.role as (typeof STAFF_ROLES)[number] }));
}

export function registerTellerAccountRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/v1/conferences/:conferenceId/teller-accounts',
    {
      schema: {
        tags: ['votes'],
        summary: 'The accounts that may be named tellers of an encrypted vote or election: chair or admin',
        description:
          'Enabled staff accounts (chair, auditor, admin) of this conference or of the whole service, by username: ' +
          'id, username and role only. For the chair picking the tellers of a secret_e2e vote or election.',
        params: idParams('conferenceId'),
        response: { 200: z.object({ items: z.array(tellerAccountSchema) }), ...errors(400, 401, 403, 404) },
      },
      config: { access: { action: 'vote.manage', conference: { param: 'conferenceId', of: existingConference } } },
    },
    async (req) => {
      return { items: await tellerAccounts(ctx.db, req.params.conferenceId) };
    },
  );
}
