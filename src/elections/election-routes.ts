/**
 * Elections, candidates, ballots, paper ballots, results and records (API.md "Elections").
 * Each route declares its access (election.manage, vote.cast; src/domain/permissions.ts);
 * handlers validate and call one service function; the services own the transactions. A result exists once a round is closed; the record once the election is.
 */
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, pageOf, pageQuery, paged } from '../http/schemas.js';
import { idempotencyKeyOf, requestHash } from '../http/idempotency.js';
import { assertReadable, loadConference } from '../conferences/conference-access.js';
import { actor, enforceAccess, existingConference, type ActionAccess, type ConferenceOf } from '../http/access.js';
import { loadCandidate, loadCandidates, loadElection } from './election-repository.js';
import { startElectionDeadlineSweeper } from './election-deadlines.js';
import { electionCastableSchema, loadElectionCastable } from './election-castable.js';
import {
  ballotsCounted,
  cancelElection,
  castElectionBallot,
  closeElection,
  createElection,
  electionRecord,
  electionResult,
  enterPaperBallots,
  listElections,
  nominate,
  openElection,
  prepareTellers,
  updateCandidate,
  updateElection,
} from './election-service.js';
import {
  candidateBody,
  candidateSchema,
  candidateView,
  closeElectionBody,
  createElectionBody,
  electionBallotAnswerSchema,
  electionBallotBody,
  electionDetailSchema,
  electionRecordSchema,
  electionResultSchema,
  electionSchema,
  electionView,
  openElectionBody,
  paperBallotsAnswerSchema,
  paperBallotsBody,
  patchCandidateBody,
  patchElectionBody,
  type ElectionRow,
} from './election-views.js';

const electionParams = idParams('electionId');
const electionConference: ConferenceOf = async (db, id) => (await loadElection(db, id)).conferenceId;
const candidateConference: ConferenceOf = async (db, id) =>
  (await loadElection(db, (await loadCandidate(db, id)).electionId)).conferenceId;

const manage = (param: 'conferenceId' | 'electionId' | 'candidateId') =>
  ({
    access: {
      action: 'election.manage',
      conference: {
        param,
        of:
          param === 'conferenceId'
            ? existingConference
            : param === 'electionId'
              ? electionConference
              : candidateConference,
      },
    },
  }) as const;

/** The record of an election that is not open to all (see the route): checked in the handler. */
const auditorOfElection = {
  action: 'record.read',
  conference: { param: 'electionId', of: electionConference },
  hideFromOutsiders: true,
} as const satisfies ActionAccess;
/** A BLT of every ballot of a large ward is well under a megabyte; 20 MB leaves room for a congress. */
const PAPER_LIMIT_BYTES = 20 * 1024 * 1024;

export async function registerElectionRoutes(app: App, ctx: AppContext): Promise<void> {
  // As the votes' sweeper: only a ready app closes expired rounds; stopped on close.
  let sweeper: ReturnType<typeof startElectionDeadlineSweeper> | null = null;
  app.addHook('onReady', async () => {
    sweeper = startElectionDeadlineSweeper(ctx);
  });
  app.addHook('onClose', async () => sweeper?.stop());
  const detail = async (e: ElectionRow) => {
    const candidates = await loadCandidates(ctx.db, e.id);
    const order = (e.candidateOrder as string[] | null) ?? null;
    const view = candidates.map((c) => candidateView(c, order));
    // Once open, candidates are listed in ballot order (the BLT numbering); before, as nominated.
    if (order) view.sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity));
    return { ...electionView(e), candidates: view, ballotsCounted: await ballotsCounted(ctx, e) };
  };

  app.get(
    '/api/v1/conferences/:conferenceId/elections',
    {
      schema: {
        tags: ['elections'],
        summary: "The conference's elections, oldest first",
        params: idParams('conferenceId'),
        querystring: pageQuery,
        response: { 200: pageOf(electionSchema), ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      await assertReadable(ctx, req, req.params.conferenceId);
      const offset = Number(req.query.cursor ?? 0);
      const rows = await listElections(ctx, req.params.conferenceId, req.query.limit, offset);
      const page = paged(rows, req.query.limit, offset);
      return { items: page.items.map(electionView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/conferences/:conferenceId/elections',
    {
      schema: {
        tags: ['elections'],
        summary: 'Create an election (draft), optionally with its candidates: chair or admin',
        params: idParams('conferenceId'),
        body: createElectionBody,
        response: { 201: electionDetailSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: manage('conferenceId'),
    },
    async (req, reply) => {
      const p = actor(req);
      const e = await createElection(ctx, p, req.params.conferenceId, req.body);
      return reply.code(201).send(await detail(e));
    },
  );

  app.get(
    '/api/v1/elections/:electionId',
    {
      schema: {
        tags: ['elections'],
        summary: 'An election: settings, state, round, candidates, ballots counted so far',
        params: electionParams,
        response: { 200: electionDetailSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const e = await loadElection(ctx.db, req.params.electionId);
      await assertReadable(ctx, req, e.conferenceId);
      return detail(e);
    },
  );

  app.get(
    '/api/v1/elections/:electionId/castable',
    {
      schema: {
        tags: ['elections'],
        summary: "What the caller may cast in this election's round: candidates, limits, each seat and its ballots",
        description:
          "One read for the phone, as a vote's castable: the seats of the frozen electorate the caller casts for " +
          '(own, proxies, the bloc of a head), the weight or allocation and what of it is cast in this round, the ' +
          "round's candidates in ballot order, the method's limits and the service clock. Accounts that hold no " +
          'seat get an empty list.',
        security: [{ bearer: [] }],
        params: electionParams,
        response: { 200: electionCastableSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'account' },
    },
    async (req) => {
      const p = actor(req);
      const e = await loadElection(ctx.db, req.params.electionId);
      await assertReadable(ctx, req, e.conferenceId);
      return loadElectionCastable(ctx, p, e);
    },
  );

  app.patch(
    '/api/v1/elections/:electionId',
    {
      schema: {
        tags: ['elections'],
        summary: 'Change a draft election: chair or admin',
        params: electionParams,
        body: patchElectionBody,
        response: { 200: electionDetailSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: manage('electionId'),
    },
    async (req) => {
      const p = actor(req);
      return detail(await updateElection(ctx, p, req.params.electionId, req.body));
    },
  );

  app.get(
    '/api/v1/elections/:electionId/candidates',
    {
      schema: {
        tags: ['elections'],
        summary: 'The candidates; once open, in ballot order (position = the BLT candidate number)',
        params: electionParams,
        response: { 200: z.object({ items: z.array(candidateSchema) }), ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const e = await loadElection(ctx.db, req.params.electionId);
      await assertReadable(ctx, req, e.conferenceId);
      return { items: (await detail(e)).candidates };
    },
  );

  app.post(
    '/api/v1/elections/:electionId/candidates',
    {
      schema: {
        tags: ['elections'],
        summary:
          "Nominate a candidate while the election is a draft: chair or admin, or (nominations: delegation_heads) a delegation's head for its own delegation",
        params: electionParams,
        body: candidateBody,
        response: { 201: candidateSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: { access: { action: 'election.nominate', conference: { param: 'electionId', of: electionConference } } },
    },
    async (req, reply) => {
      const p = actor(req);
      const c = await nominate(ctx, p, req.params.electionId, req.body);
      return reply.code(201).send(candidateView(c, null));
    },
  );

  app.patch(
    '/api/v1/candidates/:candidateId',
    {
      schema: {
        tags: ['elections'],
        summary: 'Rename, regroup or withdraw a candidate while the election is a draft: chair or admin',
        params: idParams('candidateId'),
        body: patchCandidateBody,
        response: { 200: candidateSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: manage('candidateId'),
    },
    async (req) => {
      const p = actor(req);
      return candidateView(await updateCandidate(ctx, p, req.params.candidateId, req.body), null);
    },
  );

  app.post(
    '/api/v1/elections/:electionId/tellers/prepare',
    {
      schema: {
        tags: ['elections'],
        summary: "secret_e2e: fix the candidates and settings of a draft and start its tellers' ceremony",
        description:
          "The ballot the phones will encrypt has one option per candidate (or per candidate's mark), so the " +
          'candidates are fixed here, before the tellers make the key (GET .../tellers follows the ceremony); open ' +
          'needs the key ready. Idempotent: a prepared election answers as it is. See docs/elections-e2e.md.',
        params: electionParams,
        response: { 200: electionDetailSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: manage('electionId'),
    },
    async (req) => {
      const p = actor(req);
      return detail(await prepareTellers(ctx, p, req.params.electionId));
    },
  );

  app.post(
    '/api/v1/elections/:electionId/open',
    {
      schema: {
        tags: ['elections'],
        summary: 'Open: fixes the ballot order, commits to the seed of the lots, freezes the electorate',
        params: electionParams,
        body: openElectionBody,
        response: { 200: electionDetailSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: manage('electionId'),
    },
    async (req) => {
      const p = actor(req);
      return detail(await openElection(ctx, p, req.params.electionId, req.body?.durationSeconds));
    },
  );

  app.post(
    '/api/v1/elections/:electionId/close',
    {
      schema: {
        tags: ['elections'],
        summary: 'Close the current round (idempotent); the last round seals and signs the record',
        description:
          'With rounds to go (majority rounds, the open round after reserved places) the election stays open in ' +
          'its next round. Send {"round": n} to make a retry harmless: closing a round already closed answers ' +
          'with the current result instead of closing the next one.',
        params: electionParams,
        body: closeElectionBody,
        response: { 200: electionResultSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: manage('electionId'),
    },
    async (req) => {
      const p = actor(req);
      // The published `election.closed` entry names the closer's role, never a staff account id.
      return closeElection(ctx, req.params.electionId, p.role, req.body?.round);
    },
  );

  app.post(
    '/api/v1/elections/:electionId/cancel',
    {
      schema: {
        tags: ['elections'],
        summary: 'Cancel a draft, open or counting election',
        params: electionParams,
        response: { 200: electionSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: manage('electionId'),
    },
    async (req) => {
      const p = actor(req);
      return electionView(await cancelElection(ctx, p, req.params.electionId));
    },
  );

  app.post(
    '/api/v1/elections/:electionId/ballots',
    {
      schema: {
        tags: ['elections'],
        summary: 'Cast a ballot (Idempotency-Key required): own seat, proxy, bloc part, or chair paper ballot',
        description:
          'By method: {"ranking": [ids]} (stv_scottish), {"approve": [ids]} (approval), {"marks": {id: "yes"|"no"|' +
          '"abstain"}} (yes_no_abstain, at most as many yes as seats), {"choice": id | "abstain"} (majority_rounds). ' +
          'A secret_e2e election takes {"encrypted": Ballot} only (docs/elections-e2e.md): the receipt is its tracker.',
        params: electionParams,
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: electionBallotBody,
        response: { 201: electionBallotAnswerSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: { access: { action: 'vote.cast', conference: { param: 'electionId', of: electionConference } } },
    },
    async (req, reply) => {
      const p = actor(req);
      const key = idempotencyKeyOf(req);
      const idem = {
        accountId: p.accountId,
        key,
        scope: 'election-ballot',
        requestHash: requestHash(key, req.method, req.url, req.body),
      };
      const answer = await castElectionBallot(ctx, p, req.params.electionId, req.body, idem);
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(answer.body);
    },
  );

  // Its own scope, so that the text/plain (BLT) parser and its larger size limit apply to this
  // route alone. No route-wide bodyLimit: it would override the parsers' limits and let a JSON
  // body past the service's limit too.
  void app.register(async (instance) => {
    const scoped = instance as unknown as App;
    scoped.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: PAPER_LIMIT_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    scoped.post(
      '/api/v1/elections/:electionId/paper-ballots',
      {
        schema: {
          tags: ['elections'],
          summary: 'Enter counted paper ballots in bulk (chair; Idempotency-Key): JSON lines or a BLT text',
          description:
            'Refused as a whole, naming the line, if any line is wrong. BLT candidate numbers follow the ballot ' +
            'order (GET .../candidates, position).',
          consumes: ['application/json', 'text/plain'],
          params: electionParams,
          headers: z.object({ 'idempotency-key': z.string().optional() }),
          body: paperBallotsBody,
          response: { 201: paperBallotsAnswerSchema, ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
        },
        config: manage('electionId'),
      },
      async (req, reply) => {
        const p = actor(req);
        const key = idempotencyKeyOf(req);
        const idem = {
          accountId: p.accountId,
          key,
          scope: 'paper-ballots',
          requestHash: requestHash(key, req.method, req.url, req.body),
        };
        const answer = await enterPaperBallots(ctx, p, req.params.electionId, req.body, idem);
        if (answer.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send(answer.body);
      },
    );
  });

  app.get(
    '/api/v1/elections/:electionId/result',
    {
      schema: {
        tags: ['elections'],
        summary: 'Elected (in order of election), the quota, and every stage or round of the count',
        params: electionParams,
        response: { 200: electionResultSchema, ...errors(400, 401, 404, 409) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const e = await loadElection(ctx.db, req.params.electionId);
      await assertReadable(ctx, req, e.conferenceId);
      return electionResult(ctx, e.id);
    },
  );

  app.get(
    '/api/v1/elections/:electionId/record',
    {
      schema: {
        tags: ['elections', 'audit'],
        summary: 'The signed record of a closed election: definition, electorate, sealed ballots, every stage',
        description:
          'Auditors and admins of the conference; anyone for a closed roll-call or secret_e2e election of a public ' +
          'conference. ' +
          'Check it with `npm run verify -- record.json --jwks jwks.json`, which recounts it.',
        params: electionParams,
        response: { 200: electionRecordSchema, ...errors(400, 401, 403, 404, 409) },
      },
      serializerCompiler: () => (data) => JSON.stringify(data),
      config: { access: 'public' },
    },
    async (req) => {
      const e = await loadElection(ctx.db, req.params.electionId);
      const c = await loadConference(ctx.db, e.conferenceId);
      // A secret_e2e record holds participation, trackers and ciphertexts, never a choice: it is
      // published as a roll call's is, so that any observer can check it (docs/e2e-ballots.md section 8).
      const open = c.visibility === 'public' && e.mode !== 'secret' && e.state === 'closed';
      if (!open) await enforceAccess(ctx, req, auditorOfElection);
      return electionRecord(ctx, e);
    },
  );
}
