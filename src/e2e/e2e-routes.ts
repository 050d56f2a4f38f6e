/**
 * The tellers' routes of an encrypted vote or election (docs/e2e-ballots.md section 10), the
 * same under /votes/{voteId} and /elections/{electionId}: the public state of the ceremony,
 * each teller's steps, and the chair's restart of a failed ceremony.
 */
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idSchema } from '../http/schemas.js';
import { actor, type ConferenceOf, type RouteAccess } from '../http/access.js';
import { assertReadable } from '../conferences/conference-access.js';
import { loadVote } from '../votes/vote-repository.js';
import { loadElection } from '../elections/election-repository.js';
import type { TellerStep } from '../domain/e2e/ceremony.js';
import { ceremonyState, publishStep, restartCeremony, type E2eSubject, type StepBodies } from './e2e-service.js';
import {
  ceremonyStateSchema,
  checksBody,
  dealingBody,
  identityBody,
  partialBody,
  tellerIndexParam,
} from './e2e-views.js';
import { registerTellerAccountRoutes } from './teller-accounts.js';

interface SubjectRoutes {
  kind: E2eSubject['kind'];
  prefix: string;
  param: 'voteId' | 'electionId';
  tag: string;
  conferenceOf: ConferenceOf;
  manage: 'vote.manage' | 'election.manage';
}

const SUBJECTS: SubjectRoutes[] = [
  {
    kind: 'vote',
    prefix: '/api/v1/votes/:voteId',
    param: 'voteId',
    tag: 'votes',
    conferenceOf: async (db, id) => (await loadVote(db, id)).conferenceId,
    manage: 'vote.manage',
  },
  {
    kind: 'election',
    prefix: '/api/v1/elections/:electionId',
    param: 'electionId',
    tag: 'elections',
    conferenceOf: async (db, id) => (await loadElection(db, id)).conferenceId,
    manage: 'election.manage',
  },
];

const STEPS: { step: TellerStep; body: z.ZodType; summary: string }[] = [
  { step: 'identity', body: identityBody, summary: "A teller's identity key with its proof (phase identities)" },
  {
    step: 'dealing',
    body: dealingBody,
    summary: "A teller's dealing: commitments, encrypted shares and the proof over them (phase dealings)",
  },
  {
    step: 'checks',
    body: checksBody,
    summary: "A teller's complaints against the shares it received, [] when all are good (phase checks)",
  },
  {
    step: 'partial',
    body: partialBody,
    summary: "A teller's partial decryption of the aggregate with its proofs (phase decrypting)",
  },
];

const STEP_DESCRIPTION =
  'Only the account named at this index. The same body again answers 200 with the state (a retry does no harm); ' +
  'a different body once one is stored is 409 already_published; another phase is 409 wrong_phase; a proof that ' +
  'fails is 422 invalid_teller_proof with the reason. The k-th valid partial decrypts the totals and declares the result.';

export function registerE2eRoutes(app: App, ctx: AppContext): void {
  for (const s of SUBJECTS) {
    const subjectParams = z.strictObject({ [s.param]: idSchema } as Record<string, typeof idSchema>);
    const stepParams = z.strictObject({ [s.param]: idSchema, index: tellerIndexParam } as Record<
      string,
      typeof idSchema | typeof tellerIndexParam
    >);
    const subjectOf = (params: unknown): E2eSubject => ({
      kind: s.kind,
      id: (params as Record<string, string>)[s.param]!,
    });

    app.get(
      `${s.prefix}/tellers`,
      {
        schema: {
          tags: [s.tag],
          summary: `The tellers' ceremony of a secret_e2e ${s.kind}: phase, published steps, key, aggregate, totals`,
          description: `Readable by whoever may read the ${s.kind} (anyone for a public conference). 404 e2e_ceremony_not_found for a ${s.kind} that is not secret_e2e.`,
          params: subjectParams,
          response: { 200: ceremonyStateSchema, ...errors(400, 401, 404) },
        },
        config: { access: 'public' },
      },
      async (req) => {
        const subject = subjectOf(req.params);
        await assertReadable(ctx, req, await s.conferenceOf(ctx.db, subject.id));
        return ceremonyState(ctx.db, subject);
      },
    );

    for (const st of STEPS) {
      app.post(
        `${s.prefix}/tellers/:index/${st.step}`,
        {
          schema: {
            tags: [s.tag],
            summary: st.summary,
            description: STEP_DESCRIPTION,
            params: stepParams,
            body: st.body,
            response: { 200: ceremonyStateSchema, ...errors(400, 401, 403, 404, 409, 422) },
          },
          // Any role: a teller is whichever account the ceremony names (the service checks it).
          config: { access: { action: 'e2e.teller' } satisfies RouteAccess },
        },
        async (req) => {
          const subject = subjectOf(req.params);
          const index = (req.params as { index: number }).index;
          return publishStep(ctx, actor(req), subject, index, st.step, req.body as StepBodies[typeof st.step]);
        },
      );
    }

    app.post(
      `${s.prefix}/tellers/restart`,
      {
        schema: {
          tags: [s.tag],
          summary: `Start a failed tellers' ceremony again: chair or admin of the conference (phase failed only)`,
          params: subjectParams,
          response: { 200: ceremonyStateSchema, ...errors(400, 401, 403, 404, 409) },
        },
        config: { access: { action: s.manage, conference: { param: s.param, of: s.conferenceOf } } },
      },
      async (req) => restartCeremony(ctx, actor(req), subjectOf(req.params)),
    );
  }
  registerTellerAccountRoutes(app, ctx);
}
