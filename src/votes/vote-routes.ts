/**
 * Votes, ballots and results (the voting engine). Handlers validate, check the role and call
 * one service function; the services own the transactions.
 *
 * GET /votes/{id}/result answers 409 'vote_not_closed' until the vote is closed: a result is
 * declared at close. The running tally, where the vote's visibility allows it, is part of
 * GET /votes/{id} (and of the live channel).
 */
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, pageOf, pageQuery, paged } from '../http/schemas.js';
import { idempotencyKeyOf, requestHash } from '../http/idempotency.js';
import { checkedAccount } from '../auth/principal.js';
import { actor, type ConferenceOf } from '../http/access.js';
import { assertReadable } from '../conferences/conference-access.js';
import { castBallot, castOwnBallot } from './ballot-service.js';
import { OpenVoteCache } from './open-vote-cache.js';
import { BallotBatcher } from './ballot-batcher.js';
import { loadTallySnapshot } from './tally-snapshot.js';
import { loadCastable } from './castable-service.js';
import { castableSchema } from './castable-views.js';
import {
  cancelVote,
  createVote,
  createVotingList,
  endBallots,
  listVotes,
  loadVote,
  openVote,
  recordCorrection,
  startDeadlineSweeper,
  voteResult,
} from './vote-service.js';
import {
  ballotAnswerSchema,
  ballotBody,
  correctionBody,
  correctionSchema,
  createVoteBody,
  openBody,
  resultSchema,
  voteDetailSchema,
  voteSchema,
  voteView,
  votingListBody,
} from './vote-views.js';

const voteParams = idParams('voteId');
const voteConference: ConferenceOf = async (db, id) => (await loadVote(db, id)).conferenceId;

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's group commit of ballots (tests observe its batches). */
    ballotBatcher: BallotBatcher;
  }
}

export async function registerVoteRoutes(app: App, ctx: AppContext): Promise<void> {
  const openVotes = new OpenVoteCache(ctx.db);
  const batcher = new BallotBatcher(ctx.database, ctx.config.ballotBatch);
  app.decorate('ballotBatcher', batcher);
  // Only a ready app sweeps deadlines (not one built to print its OpenAPI document); stopped on close.
  let sweeper: ReturnType<typeof startDeadlineSweeper> | null = null;
  app.addHook('onReady', async () => {
    sweeper = startDeadlineSweeper(ctx);
  });
  app.addHook('onClose', async () => {
    await sweeper?.stop();
    await batcher.drain();
  });

  app.get(
    '/api/v1/conferences/:conferenceId/votes',
    {
      schema: {
        tags: ['votes'],
        summary: "The conference's votes, oldest first (a voting list in its order)",
        params: idParams('conferenceId'),
        querystring: pageQuery,
        response: { 200: pageOf(voteSchema), ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      await assertReadable(ctx, req, req.params.conferenceId);
      const offset = Number(req.query.cursor ?? 0);
      const rows = await listVotes(ctx, req.params.conferenceId, req.query.limit, offset);
      const page = paged(rows, req.query.limit, offset);
      return { items: page.items.map(voteView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/conferences/:conferenceId/votes',
    {
      schema: {
        tags: ['votes'],
        summary: 'Create a vote (draft): chair or admin of the conference',
        params: idParams('conferenceId'),
        body: createVoteBody,
        response: { 201: voteSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: { access: { action: 'vote.manage', conference: { param: 'conferenceId' } } },
    },
    async (req, reply) => {
      const p = actor(req);
      const v = await createVote(ctx, p, req.params.conferenceId, req.body);
      return reply.code(201).send(voteView(v));
    },
  );

  app.get(
    '/api/v1/votes/:voteId',
    {
      schema: {
        tags: ['votes'],
        summary: 'A vote: state, settings, voters count and the tally where its visibility allows',
        params: voteParams,
        response: { 200: voteDetailSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const v = await loadVote(ctx.db, req.params.voteId);
      await assertReadable(ctx, req, v.conferenceId);
      const t = await loadTallySnapshot(ctx.db, v.id);
      return {
        ...voteView(v),
        tally: {
          version: t.version,
          voters: t.voters,
          ...(t.mode === 'secret_e2e' ? { weight: t.weight } : {}),
          visible: t.tallyVisible,
          totals: t.totals,
          byDelegation: t.byDelegation,
        },
      };
    },
  );

  app.get(
    '/api/v1/votes/:voteId/castable',
    {
      schema: {
        tags: ['votes'],
        summary: 'What the caller may cast in this vote: each seat (own, proxies, bloc) with its weight and ballot',
        description:
          'One read for the phone: the seats of the frozen electorate the caller casts for, whether each has a ' +
          'ballot on record (with its receipt for a roll call), the weight or the allocation a split must not ' +
          'exceed, the subject text and the service clock. Accounts that hold no seat get an empty list.',
        security: [{ bearer: [] }],
        params: voteParams,
        response: { 200: castableSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'account' },
    },
    async (req) => {
      const p = actor(req);
      const v = await loadVote(ctx.db, req.params.voteId);
      await assertReadable(ctx, req, v.conferenceId);
      return loadCastable(ctx, p, v);
    },
  );

  app.post(
    '/api/v1/votes/:voteId/open',
    {
      schema: {
        tags: ['votes'],
        summary: 'Open a draft vote, freezing the electorate; optional durationSeconds sets a deadline',
        params: voteParams,
        body: openBody,
        response: { 200: voteSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: { access: { action: 'vote.manage', conference: { param: 'voteId', of: voteConference } } },
    },
    async (req) => {
      const p = actor(req);
      return voteView(await openVote(ctx, p, req.params.voteId, req.body?.durationSeconds));
    },
  );

  app.post(
    '/api/v1/votes/:voteId/close',
    {
      schema: {
        tags: ['votes'],
        summary: 'Close an open vote and declare the result; closing a closed vote returns the same result',
        description:
          'A secret_e2e vote answers 202 with the vote in state counting: its tellers decrypt the totals, and ' +
          "the k-th valid partial decryption declares the result (GET .../result). Closing it again answers the same.",
        params: voteParams,
        response: { 200: resultSchema, 202: voteSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: { access: { action: 'vote.manage', conference: { param: 'voteId', of: voteConference } } },
    },
    async (req, reply) => {
      const p = actor(req);
      // The `vote.closed` entry is published whole in the public record (its hash must be
      // recomputable from it): its actor is the closer's role ("chair", "admin"), never a
      // staff account id; the deadline's close has none (null).
      const outcome = await endBallots(ctx, req.params.voteId, p.role);
      if (outcome.state === 'counting') return reply.code(202).send(voteView(outcome.vote));
      return voteResult(ctx, { ...(await loadVote(ctx.db, req.params.voteId)), result: outcome.result });
    },
  );

  app.post(
    '/api/v1/votes/:voteId/cancel',
    {
      schema: {
        tags: ['votes'],
        summary: 'Cancel a draft or open vote (it will have no result)',
        params: voteParams,
        response: { 200: voteSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: { access: { action: 'vote.manage', conference: { param: 'voteId', of: voteConference } } },
    },
    async (req) => {
      const p = actor(req);
      return voteView(await cancelVote(ctx, p, req.params.voteId));
    },
  );

  app.post(
    '/api/v1/votes/:voteId/ballots',
    {
      schema: {
        tags: ['votes'],
        summary: 'Cast a ballot (Idempotency-Key required): own seat, proxy, delegation split, or chair paper ballot',
        description:
          'A secret_e2e vote takes {encrypted, split, onBehalfOf?} only (docs/e2e-ballots.md): every proof is checked ' +
          "against the seat's statement (422 invalid_ballot_proof), and the receipt is the ballot's tracker. A choice " +
          'in the clear there is 422 encrypted_ballot_required; an encrypted ballot elsewhere 422 encrypted_ballot_unexpected.',
        params: voteParams,
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: ballotBody,
        response: { 201: ballotAnswerSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      // The session is checked inside the ballot statement (castOwnBallot) or by checkedAccount.
      config: { access: 'account', deferSessionCheck: true },
    },
    async (req, reply) => {
      const key = idempotencyKeyOf(req);
      const { voteId } = req.params;
      const hash = requestHash(key, req.method, req.url, req.body);
      const idem = (accountId: string) => ({ accountId, key, scope: 'ballot', requestHash: hash, voteId });
      let answer = req.claims
        ? await castOwnBallot(ctx, openVotes, batcher, req.claims, voteId, req.body, idem(req.claims.accountId))
        : null;
      if (!answer) {
        const p = await checkedAccount(ctx, req);
        answer = await castBallot(ctx, p, voteId, req.body, idem(p.accountId));
      }
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(answer.body);
    },
  );

  app.get(
    '/api/v1/votes/:voteId/result',
    {
      schema: {
        tags: ['votes'],
        summary: 'The declared result with the corrections recorded beside it (409 vote_not_closed before close)',
        params: voteParams,
        response: { 200: resultSchema, ...errors(400, 401, 404, 409) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const v = await loadVote(ctx.db, req.params.voteId);
      await assertReadable(ctx, req, v.conferenceId);
      return voteResult(ctx, v);
    },
  );

  app.post(
    '/api/v1/votes/:voteId/corrections',
    {
      schema: {
        tags: ['votes'],
        summary: 'After close, a delegate records how they intended to vote (never changes the result)',
        params: voteParams,
        body: correctionBody,
        response: { 201: correctionSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: { access: 'account' },
    },
    async (req, reply) => {
      const p = actor(req);
      const c = await recordCorrection(ctx, p, req.params.voteId, req.body.intended);
      return reply.code(201).send({
        id: c.id,
        voteId: c.voteId,
        delegateId: c.delegateId,
        intended: c.intended,
        createdAt: c.createdAt.toISOString(),
      });
    },
  );

  app.post(
    '/api/v1/resolutions/:resolutionId/voting-list',
    {
      schema: {
        tags: ['votes'],
        summary: 'Create the clause-by-clause series of draft votes, in voting order (settings overridable)',
        params: idParams('resolutionId'),
        body: votingListBody,
        response: { 201: pageOf(voteSchema), ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: { access: { action: 'vote.manage' } },
    },
    async (req, reply) => {
      const p = actor(req);
      const created = await createVotingList(ctx, p, req.params.resolutionId, req.body ?? {});
      return reply.code(201).send({ items: created.map(voteView), nextCursor: null });
    },
  );
}
