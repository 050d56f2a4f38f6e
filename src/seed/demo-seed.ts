/**
 * The demo conference, created on first start with an empty database (unless
 * PLENARY_SEED=none): the Progressive Alliance conference in Kuala Lumpur, 30-31 August
 * 2019, its two sittings and agenda, a few dozen delegates, and the resolution "Social
 * Cohesion and Progress" split into its clauses. The chair, three tellers and a few
 * delegates get credentials that the start-up banner prints, so a new user can sign in at
 * once and run the presidium's election encrypted, each teller on their own device.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppContext } from '../app-context.js';
import type { DbOrTx } from '../db/client.js';
import { insertAccountIfAbsent } from '../auth/auth-repository.js';
import {
  conferenceCount,
  insertAgendaItem,
  insertConference,
  insertSitting,
} from '../conferences/conference-repository.js';
import { insertDelegates, insertDelegation, insertParty } from '../delegations/delegation-repository.js';
import { insertClauses, insertResolution } from '../resolutions/resolution-repository.js';
import { insertCandidates, insertElection } from '../elections/election-repository.js';
import { lockSeed } from './seed-repository.js';
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
  /** Auditors of the demo conference, for the chair to name as the tellers of an encrypted vote or election. */
  tellers: { username: string; password: string }[];
  delegates: { name: string; delegation: string; role: string; accessCode: string }[];
  /** The two draft elections of agenda item 5: the presidium and the coordinating committee. */
  elections: { presidiumId: string; committeeId: string };
}

/**
 * The demo's elections, drafts for the chair to open: the presidium by yes/no/abstain with a
 * women's minimum (two of three seats, as the SPD's 40% rounds up), and the coordinating
 * committee by Scottish STV, its ballot order drawn by lot at open. Candidates by name from
 * the roster; `woman` is the quota group (the roster itself records no gender).
 */
export const DEMO_ELECTIONS = {
  presidium: {
    title: 'Presidium of the conference',
    seats: 3,
    method: 'yes_no_abstain' as const,
    quota: { group: 'woman', minimum: 2 },
    settings: { ballotOrder: 'name' },
    candidates: [
      { name: 'Katrin Albrecht', group: 'woman' },
      { name: 'Marco Bellavista', group: null },
      { name: 'Erik Sandelin', group: null },
      { name: 'Helen Marchbank', group: 'woman' },
      { name: 'Arjun Selvaraj', group: null },
    ],
  },
  committee: {
    title: 'Coordinating committee',
    seats: 3,
    method: 'stv_scottish' as const,
    quota: null,
    settings: { ballotOrder: 'lot' },
    candidates: [
      { name: 'Claire Vautrin', group: 'woman' },
      { name: 'Giulia Ferrandi', group: 'woman' },
      { name: 'Ingrid Solbakken', group: 'woman' },
      { name: 'Tan Mei Ling', group: 'woman' },
      { name: 'Mehdi Lacombe', group: null },
      { name: 'Ruben Achterberg', group: null },
    ],
  },
};

/** The demo's teller accounts: three, so that an encrypted election can need two of three. */
export const DEMO_TELLERS = ['teller1', 'teller2', 'teller3'] as const;

/** Creates the demo conference when the database has no conference yet; returns null otherwise. */
export async function seedDemo(ctx: AppContext): Promise<DemoCredentials | null> {
  // Every start but the first finds a conference: answer before paying for the chair's
  // scrypt hash (over half a second at the production cost, on every restart). The check
  // is made again under the seed lock below, for instances starting together.
  if ((await conferenceCount(ctx.db)) > 0) return null;
  const chairPassword = generatePassword();
  const tellers = DEMO_TELLERS.map((username) => ({ username, password: generatePassword() }));
  // Only on the first start. Hashed together: passwords.ts runs two at once on libuv's pool,
  // so the four cost about two one after the other.
  const [chairHash, ...tellerHashes] = await Promise.all(
    [chairPassword, ...tellers.map((x) => x.password)].map((p) => hashPassword(p, ctx.config.passwordScryptLog2N)),
  );
  const text = fs.readFileSync(DEMO_RESOLUTION_FILE, 'utf8');
  const split = splitIntoClauses(text);
  const now = ctx.clock();

  return ctx.db.transaction(async (tx) => {
    await lockSeed(tx);
    if ((await conferenceCount(tx)) > 0) return null;

    const conference = await insertConference(tx, {
      name: 'Progressive Alliance Conference 2019',
      location: 'Kuala Lumpur, Malaysia',
      startsOn: '2019-08-30',
      endsOn: '2019-08-31',
      visibility: 'public',
    });
    const conferenceId = conference.id;
    await appendEvent(
      tx,
      { conferenceId, type: 'conference.created', actor: null, data: { name: conference.name, seeded: true } },
      now,
    );

    const day1 = await insertSitting(tx, {
      conferenceId,
      title: 'Plenary sitting I',
      startsAt: new Date('2019-08-30T09:00:00+08:00'),
      endsAt: new Date('2019-08-30T18:00:00+08:00'),
      position: 1,
    });
    const day2 = await insertSitting(tx, {
      conferenceId,
      title: 'Plenary sitting II',
      startsAt: new Date('2019-08-31T09:00:00+08:00'),
      endsAt: new Date('2019-08-31T13:00:00+08:00'),
      position: 2,
    });

    const resolution = await insertResolution(tx, {
      conferenceId,
      title: split.title ?? 'Social Cohesion and Progress',
      preamble: split.preamble.join('\n') || null,
    });
    await insertClauses(
      tx,
      split.clauses.map((t, i) => ({ resolutionId: resolution.id, number: i + 1, position: i + 1, text: t })),
    );

    for (const item of [
      { sittingId: day1.id, title: 'Opening of the conference and adoption of the agenda', position: 1 },
      { sittingId: day1.id, title: 'Report of the coordinating committee', position: 2 },
      { sittingId: day1.id, title: 'Panel: The future of work in digital capitalism', position: 3 },
      {
        sittingId: day2.id,
        title: 'Resolution: Social Cohesion and Progress',
        resolutionId: resolution.id,
        position: 4,
      },
      { sittingId: day2.id, title: 'Elections to the coordinating committee', position: 5 },
      { sittingId: day2.id, title: 'Closing of the conference', position: 6 },
    ])
      await insertAgendaItem(tx, { conferenceId, ...item });

    const shown: DemoCredentials['delegates'] = [];
    const seat = new Map<string, { delegateId: string; delegationId: string }>();
    for (const d of demoDelegations) {
      const party = await insertParty(tx, { name: d.party, abbreviation: d.name, country: d.country });
      const delegation = await insertDelegation(tx, { conferenceId, partyId: party.id, name: d.name, votes: d.votes });
      const codes = d.delegates.map(() => generateAccessCode());
      const rows = await insertDelegates(
        tx,
        d.delegates.map((m, i) => ({
          conferenceId,
          delegationId: delegation.id,
          name: m.name,
          role: m.role,
          weight: m.weight,
          externalId: m.externalId,
          accessCodeHash: hashAccessCode(codes[i]!),
          accessCodeIssuedAt: now,
        })),
      );
      for (const r of rows) seat.set(r.name, { delegateId: r.id, delegationId: delegation.id });
      d.delegates.forEach((m, i) =>
        shown.push({ name: m.name, delegation: d.name, role: m.role, accessCode: codes[i]! }),
      );
    }

    await insertChair(tx, conferenceId, chairHash!);
    // Auditors: the least a teller needs (a teller's steps are open to any account the
    // ceremony names; an auditor may read the conference and its records, and change nothing).
    for (const [i, x] of tellers.entries())
      await insertAccountIfAbsent(tx, {
        username: x.username,
        passwordHash: tellerHashes[i]!,
        role: 'auditor',
        conferenceId,
      });
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
    const electionIds: string[] = [];
    // A millisecond apart: the list is oldest first, and the presidium comes first on the agenda.
    for (const [i, def] of [DEMO_ELECTIONS.presidium, DEMO_ELECTIONS.committee].entries()) {
      const e = await insertElection(tx, {
        conferenceId,
        title: def.title,
        seats: def.seats,
        method: def.method,
        mode: 'secret',
        weighting: 'delegate',
        quota: def.quota,
        settings: def.settings,
        createdAt: new Date(now.getTime() + i),
      });
      await insertCandidates(
        tx,
        def.candidates.map((c, i) => ({
          electionId: e.id,
          ordinal: i + 1,
          name: c.name,
          delegateId: seat.get(c.name)!.delegateId,
          delegationId: seat.get(c.name)!.delegationId,
          quotaGroup: c.group,
          createdAt: now,
        })),
      );
      // As createElection writes it (src/elections/election-service.ts).
      await appendEvent(
        tx,
        {
          conferenceId,
          type: 'election.created',
          actor: null,
          data: {
            electionId: e.id,
            title: e.title,
            seats: e.seats,
            method: e.method,
            mode: e.mode,
            weighting: e.weighting,
            quota: e.quota,
            settings: e.settings,
            seeded: true,
          },
        },
        now,
      );
      electionIds.push(e.id);
    }
    return {
      conferenceId,
      resolutionId: resolution.id,
      chair: { username: 'chair', password: chairPassword },
      tellers,
      delegates: shown,
      elections: { presidiumId: electionIds[0]!, committeeId: electionIds[1]! },
    };
  });
}

async function insertChair(tx: DbOrTx, conferenceId: string, passwordHash: string): Promise<void> {
  await insertAccountIfAbsent(tx, { username: 'chair', passwordHash, role: 'chair', conferenceId });
}

/** Everything a new user needs to try the demo, kept readable only by the owner of the data folder. */
export function writeDemoCredentials(dataDir: string, creds: DemoCredentials): string {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'demo-credentials.txt');
  const lines = [
    '# Plenary demo credentials (shown once at first start; only hashes are stored in the database)',
    `conference ${creds.conferenceId}`,
    `resolution ${creds.resolutionId}`,
    `election presidium ${creds.elections.presidiumId}`,
    `election committee ${creds.elections.committeeId}`,
    `chair username=${creds.chair.username} password=${creds.chair.password}`,
    ...creds.tellers.map((x) => `teller username=${x.username} password=${x.password}`),
    ...creds.delegates.map((d) => `delegate "${d.name}" (${d.delegation}, ${d.role}) accessCode=${d.accessCode}`),
    '',
  ];
  fs.writeFileSync(file, lines.join('\n'), { mode: 0o600 });
  return file;
}
