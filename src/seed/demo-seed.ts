/**
 * The demo conference, created on first start with an empty database (unless
 * PLENARY_SEED=none): the Progressive Alliance conference in Kuala Lumpur, 30-31 August
 * 2019, its two sittings and agenda, a few dozen delegates, and the resolution "Social
 * Cohesion and Progress" split into its clauses. The chair and a few delegates get
 * credentials that the start-up banner prints, so a new user can sign in at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { AppContext } from '../app-context.js';
import { rowsOf, type DbOrTx } from '../db/client.js';
import {
  accounts,
  agendaItems,
  clauses,
  conferences,
  delegates,
  delegations,
  parties,
  resolutions,
  sittings,
} from '../db/schema.js';
import { splitIntoClauses } from '../domain/clause-splitter.js';
import { appendEvent } from '../audit/event-log.js';
import { generateAccessCode, hashAccessCode } from '../auth/access-codes.js';
import { generatePassword, hashPassword } from '../auth/passwords.js';
import { demoDelegations } from './demo-roster.js';

// Beside this module: the build copies it into dist/src/seed (scripts/build.js).
export const DEMO_RESOLUTION_FILE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'resolution-social-cohesion-and-progress-2019.txt',
);

export interface DemoCredentials {
  conferenceId: string;
  resolutionId: string;
  chair: { username: string; password: string };
  delegates: { name: string; delegation: string; role: string; accessCode: string }[];
}

const SEED_LOCK = 7_143_923;

/** Creates the demo conference when the database has no conference yet; returns null otherwise. */
export async function seedDemo(ctx: AppContext): Promise<DemoCredentials | null> {
  const chairPassword = generatePassword();
  const chairHash = await hashPassword(chairPassword, ctx.config.passwordScryptLog2N);
  const text = fs.readFileSync(DEMO_RESOLUTION_FILE, 'utf8');
  const split = splitIntoClauses(text);
  const now = ctx.clock();

  return ctx.db.transaction(async (tx) => {
    // Several instances starting together on an empty PostgreSQL seed once.
    await tx.execute(sql`select pg_advisory_xact_lock(${SEED_LOCK})`);
    const [{ n } = { n: 0 }] = rowsOf<{ n: number }>(await tx.execute(sql`select count(*)::int as n from conferences`));
    if (n > 0) return null;

    const [conference] = await tx
      .insert(conferences)
      .values({
        name: 'Progressive Alliance Conference 2019',
        location: 'Kuala Lumpur, Malaysia',
        startsOn: '2019-08-30',
        endsOn: '2019-08-31',
        visibility: 'public',
      })
      .returning();
    const conferenceId = conference!.id;
    await appendEvent(
      tx,
      { conferenceId, type: 'conference.created', actor: null, data: { name: conference!.name, seeded: true } },
      now,
    );

    const [day1, day2] = await tx
      .insert(sittings)
      .values([
        {
          conferenceId,
          title: 'Plenary sitting I',
          startsAt: new Date('2019-08-30T09:00:00+08:00'),
          endsAt: new Date('2019-08-30T18:00:00+08:00'),
          position: 1,
        },
        {
          conferenceId,
          title: 'Plenary sitting II',
          startsAt: new Date('2019-08-31T09:00:00+08:00'),
          endsAt: new Date('2019-08-31T13:00:00+08:00'),
          position: 2,
        },
      ])
      .returning();

    const [resolution] = await tx
      .insert(resolutions)
      .values({
        conferenceId,
        title: split.title ?? 'Social Cohesion and Progress',
        preamble: split.preamble.join('\n') || null,
      })
      .returning();
    await tx
      .insert(clauses)
      .values(split.clauses.map((t, i) => ({ resolutionId: resolution!.id, number: i + 1, position: i + 1, text: t })));

    await tx.insert(agendaItems).values([
      { conferenceId, sittingId: day1!.id, title: 'Opening of the conference and adoption of the agenda', position: 1 },
      { conferenceId, sittingId: day1!.id, title: 'Report of the coordinating committee', position: 2 },
      { conferenceId, sittingId: day1!.id, title: 'Panel: The future of work in digital capitalism', position: 3 },
      {
        conferenceId,
        sittingId: day2!.id,
        title: 'Resolution: Social Cohesion and Progress',
        resolutionId: resolution!.id,
        position: 4,
      },
      { conferenceId, sittingId: day2!.id, title: 'Elections to the coordinating committee', position: 5 },
      { conferenceId, sittingId: day2!.id, title: 'Closing of the conference', position: 6 },
    ]);

    const shown: DemoCredentials['delegates'] = [];
    for (const d of demoDelegations) {
      const [party] = await tx
        .insert(parties)
        .values({ name: d.party, abbreviation: d.name, country: d.country })
        .returning();
      const [delegation] = await tx
        .insert(delegations)
        .values({ conferenceId, partyId: party!.id, name: d.name, votes: d.votes })
        .returning();
      const codes = d.delegates.map(() => generateAccessCode());
      await tx.insert(delegates).values(
        d.delegates.map((m, i) => ({
          conferenceId,
          delegationId: delegation!.id,
          name: m.name,
          role: m.role,
          weight: m.weight,
          externalId: m.externalId,
          accessCodeHash: hashAccessCode(codes[i]!),
          accessCodeIssuedAt: now,
        })),
      );
      d.delegates.forEach((m, i) =>
        shown.push({ name: m.name, delegation: d.name, role: m.role, accessCode: codes[i]! }),
      );
    }

    await insertChair(tx, conferenceId, chairHash);
    await appendEvent(
      tx,
      {
        conferenceId,
        type: 'roster.imported',
        actor: null,
        data: { delegations: demoDelegations.length, delegates: shown.length, seeded: true },
      },
      now,
    );
    return {
      conferenceId,
      resolutionId: resolution!.id,
      chair: { username: 'chair', password: chairPassword },
      delegates: shown,
    };
  });
}

async function insertChair(tx: DbOrTx, conferenceId: string, passwordHash: string): Promise<void> {
  await tx
    .insert(accounts)
    .values({ username: 'chair', passwordHash, role: 'chair', conferenceId })
    .onConflictDoNothing();
}

/** Everything a new user needs to try the demo, kept readable only by the owner of the data folder. */
export function writeDemoCredentials(dataDir: string, creds: DemoCredentials): string {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'demo-credentials.txt');
  const lines = [
    '# Plenary demo credentials (shown once at first start; only hashes are stored in the database)',
    `conference ${creds.conferenceId}`,
    `resolution ${creds.resolutionId}`,
    `chair username=${creds.chair.username} password=${creds.chair.password}`,
    ...creds.delegates.map((d) => `delegate "${d.name}" (${d.delegation}, ${d.role}) accessCode=${d.accessCode}`),
    '',
  ];
  fs.writeFileSync(file, lines.join('\n'), { mode: 0o600 });
  return file;
}
