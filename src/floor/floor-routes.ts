/**
 * The floor's routes: speakers' lists, requests to speak, the chair's floor controls,
 * procedural motions, the conference's floor settings and the speaking-time reports.
 * Each route declares its access (floor.manage for the chair's routes, floor.speak for a
 * delegate's; src/domain/permissions.ts); a delegate acts for their own seat only, which the
 * services check against the request or the mover. Reads follow the conference's visibility.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams } from '../http/schemas.js';
import { idempotencyKeyOf, requestHash } from '../http/idempotency.js';
import { assertReadable } from '../conferences/conference-access.js';
import { actor, existingConference, type ActionAccess, type ConferenceOf } from '../http/access.js';
import type { Action } from '../domain/permissions.js';
import { loadFloorSettings, settingsSchema } from './floor-settings.js';
import { loadItem, loadList, loadRequest } from './floor-repository.js';
import {
  decisionBody,
  listPatchBody,
  motionBody,
  motionSchema,
  overrideBody,
  reportQuery,
  reportSchema,
  requestBody,
  speakersListSchema,
  subjectQuery,
} from './floor-views.js';
import {
  next,
  override,
  patchList,
  pause,
  requestContext,
  requestToSpeak,
  resume,
  stop,
  updateFloorSettings,
  withdraw,
} from './floor-service.js';
import { decideMotion, motionConference, moveMotion, settleMotion } from './motion-service.js';
import { readList, readMotion, readMotions, report, reportCsv } from './floor-read.js';

const TAGS = ['floor'];
const security = [{ bearer: [] }];

const itemConference: ConferenceOf = async (db, id) => (await loadItem(db, id)).conferenceId;
const requestConference: ConferenceOf = async (db, id) =>
  (await loadItem(db, (await loadList(db, (await loadRequest(db, id)).listId)).agendaItemId)).conferenceId;

/** The action, in the conference of the item, request or motion the route names. */
const on = (action: Action, param: string, of: ConferenceOf): { access: ActionAccess } => ({
  access: { action, conference: { param, of } },
});

const requestAnswer = z
  .object({ requestId: z.string(), list: speakersListSchema })
  .meta({ id: 'SpeakerRequestAnswer' });

function wantsCsv(format: 'json' | 'csv' | undefined, accept = ''): boolean {
  if (format) return format === 'csv';
  return /text\/csv/i.test(accept) && !/application\/json/i.test(accept);
}

export function registerFloorRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/v1/conferences/:conferenceId/floor-settings',
    {
      schema: {
        tags: TAGS,
        summary: "The conference's floor settings: quota groups, rule sets, time limits, motion majorities",
        params: idParams('conferenceId'),
        response: { 200: settingsSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      await assertReadable(ctx, req, req.params.conferenceId);
      return loadFloorSettings(ctx.db, req.params.conferenceId);
    },
  );

  app.put(
    '/api/v1/conferences/:conferenceId/floor-settings',
    {
      schema: {
        tags: TAGS,
        summary: "Replace the conference's floor settings (chair or admin)",
        description: 'Lists keep the rules they were given; a PATCH of a list picks a rule set anew.',
        security,
        params: idParams('conferenceId'),
        body: settingsSchema,
        response: { 200: settingsSchema, ...errors(400, 401, 403, 404) },
      },
      config: on('floor.manage', 'conferenceId', existingConference),
    },
    async (req) => {
      const p = actor(req);
      return updateFloorSettings(ctx, p, req.params.conferenceId, req.body);
    },
  );

  app.get(
    '/api/v1/agenda-items/:itemId/speakers',
    {
      schema: {
        tags: TAGS,
        summary: "An item's speakers' list: the current speaker with the clock, the queue in speaking order, done",
        description:
          'The queue is computed by the server from the rules (docs/floor.md). Speakers who asked to be listed ' +
          'without a name (where the conference allows it) show no name to anyone but staff and themselves.',
        params: idParams('itemId'),
        querystring: subjectQuery,
        response: { 200: speakersListSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const item = await loadItem(ctx.db, req.params.itemId);
      await assertReadable(ctx, req, item.conferenceId);
      return readList(ctx, req.principal, item, req.query.subject);
    },
  );

  app.patch(
    '/api/v1/agenda-items/:itemId/speakers',
    {
      schema: {
        tags: TAGS,
        summary: 'Open or close the list, choose its rules, limits and delegation budget (chair)',
        security,
        params: idParams('itemId'),
        querystring: subjectQuery,
        body: listPatchBody,
        response: { 200: speakersListSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: on('floor.manage', 'itemId', itemConference),
    },
    async (req) => {
      const item = await loadItem(ctx.db, req.params.itemId);
      const p = actor(req);
      await patchList(ctx, p, item.id, req.query.subject, req.body);
      return readList(ctx, p, item, req.query.subject);
    },
  );

  app.post(
    '/api/v1/agenda-items/:itemId/speakers/requests',
    {
      schema: {
        tags: TAGS,
        summary: 'Ask to speak: a delegate for themself {kind}; the chair for anyone {delegateId, kind}',
        description:
          '409 speakers_list_closed (points of order and speeches on a motion may always be asked), ' +
          '409 speaker_request_duplicate (already waiting with this kind), 409 motion_speech_taken, ' +
          '409 no_current_speaker (a question needs a speaker), 422 use_motions_route for procedural motions. ' +
          'A phone may send Idempotency-Key: a retry with the same key answers the same request.',
        security,
        params: idParams('itemId'),
        querystring: subjectQuery,
        body: requestBody,
        response: { 201: requestAnswer, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: on('floor.speak', 'itemId', itemConference),
    },
    async (req, reply) => {
      const item = await loadItem(ctx.db, req.params.itemId);
      const p = actor(req);
      const key = req.headers['idempotency-key'] ? idempotencyKeyOf(req) : null;
      const idem = key
        ? {
            accountId: p.accountId,
            key,
            scope: 'speaker_request',
            requestHash: requestHash(key, req.method, req.url, req.body),
          }
        : null;
      const requestId = await requestToSpeak(ctx, p, item.id, req.query.subject, req.body, idem);
      return reply.code(201).send({ requestId, list: await readList(ctx, p, item, req.query.subject) });
    },
  );

  app.post(
    '/api/v1/speaker-requests/:requestId/withdraw',
    {
      schema: {
        tags: TAGS,
        summary: 'Withdraw a waiting request (the delegate, or the chair); final',
        security,
        params: idParams('requestId'),
        response: { 200: speakersListSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: on('floor.speak', 'requestId', requestConference),
    },
    async (req) => {
      const { item, subjectKey } = await requestContext(ctx, req.params.requestId);
      const p = actor(req);
      await withdraw(ctx, p, req.params.requestId);
      return readList(ctx, p, item, subjectKey);
    },
  );

  const controls = {
    next: {
      fn: next,
      summary: 'Start the next speaker in the computed order (chair)',
      description:
        '409 speaker_active while someone speaks (stop first: two chairs pressing at once start one speaker), ' +
        '409 assembly_decision_required, motion_pending, speakers_list_ended, speakers_list_empty.',
    },
    pause: {
      fn: pause,
      summary: "Pause the current speaker's clock (chair)",
      description: '409 no_current_speaker, speech_already_paused.',
    },
    resume: {
      fn: resume,
      summary: "Resume the current speaker's clock (chair)",
      description: '409 no_current_speaker, speech_not_paused.',
    },
    stop: {
      fn: stop,
      summary: 'End the current speech, recording its spoken time and any overrun (chair)',
      description: '409 no_current_speaker.',
    },
  } as const;
  for (const [name, c] of Object.entries(controls)) {
    app.post(
      `/api/v1/agenda-items/:itemId/speakers/${name}`,
      {
        schema: {
          tags: TAGS,
          summary: c.summary,
          description: c.description,
          security,
          params: idParams('itemId'),
          querystring: subjectQuery,
          response: { 200: speakersListSchema, ...errors(400, 401, 403, 404, 409) },
        },
        config: on('floor.manage', 'itemId', itemConference),
      },
      async (req: FastifyRequest<{ Params: { itemId: string }; Querystring: { subject: string } }>) => {
        const item = await loadItem(ctx.db, req.params.itemId);
        const p = actor(req);
        await c.fn(ctx, p, item, req.query.subject);
        return readList(ctx, p, item, req.query.subject);
      },
    );
  }

  app.post(
    '/api/v1/speaker-requests/:requestId/override',
    {
      schema: {
        tags: TAGS,
        summary: 'Move a request to a place in the queue, or give the floor now, with a reason (chair)',
        description:
          'The others keep their order. The override is an event naming the chair and the reason. ' +
          '409 speaker_request_not_waiting, priority_request_not_movable.',
        security,
        params: idParams('requestId'),
        body: overrideBody,
        response: { 200: speakersListSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: on('floor.manage', 'requestId', requestConference),
    },
    async (req) => {
      const { item, subjectKey } = await requestContext(ctx, req.params.requestId);
      const p = actor(req);
      await override(ctx, p, req.params.requestId, req.body);
      return readList(ctx, p, item, subjectKey);
    },
  );

  app.post(
    '/api/v1/agenda-items/:itemId/motions',
    {
      schema: {
        tags: TAGS,
        summary: 'Move a procedural motion: taken after the current speech (a delegate for themself, or the chair)',
        description:
          'The mover speaks, then one speech for and one against (requests with onMotion), then the chair asks ' +
          'for objections (POST /motions/{id}/decision). 409 motion_pending while another is undecided.',
        security,
        params: idParams('itemId'),
        querystring: subjectQuery,
        body: motionBody,
        response: { 201: motionSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: on('floor.speak', 'itemId', itemConference),
    },
    async (req, reply) => {
      const item = await loadItem(ctx.db, req.params.itemId);
      const p = actor(req);
      const id = await moveMotion(ctx, p, item.id, req.query.subject, req.body);
      return reply.code(201).send(await readMotion(ctx, id));
    },
  );

  app.get(
    '/api/v1/agenda-items/:itemId/motions',
    {
      schema: {
        tags: TAGS,
        summary: "The procedural motions of an item's list, oldest first, with their votes and effects",
        params: idParams('itemId'),
        querystring: subjectQuery,
        response: { 200: z.object({ items: z.array(motionSchema) }), ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const item = await loadItem(ctx.db, req.params.itemId);
      await assertReadable(ctx, req, item.conferenceId);
      return { items: await readMotions(ctx, item, req.query.subject) };
    },
  );

  app.get(
    '/api/v1/motions/:motionId',
    {
      schema: {
        tags: TAGS,
        summary: 'A procedural motion, its vote and its effect',
        params: idParams('motionId'),
        response: { 200: motionSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      await assertReadable(ctx, req, await motionConference(ctx.db, req.params.motionId));
      return readMotion(ctx, req.params.motionId);
    },
  );

  app.post(
    '/api/v1/motions/:motionId/decision',
    {
      schema: {
        tags: TAGS,
        summary: 'The objection call (chair): none adopts the motion; an objection opens its vote at once',
        description:
          "The vote has subject {type: 'motion', id} and the motion's majority from the floor settings. " +
          '409 motion_not_pending, speaker_active.',
        security,
        params: idParams('motionId'),
        body: decisionBody,
        response: { 200: motionSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: on('floor.manage', 'motionId', motionConference),
    },
    async (req) => {
      const p = actor(req);
      await decideMotion(ctx, p, req.params.motionId, req.body.objection);
      return readMotion(ctx, req.params.motionId);
    },
  );

  app.post(
    '/api/v1/motions/:motionId/settle',
    {
      schema: {
        tags: TAGS,
        summary: "After the motion's vote closed: its outcome decides the motion and the effect applies (chair)",
        description: 'Idempotent. 409 motion_vote_not_closed, motion_not_voting.',
        security,
        params: idParams('motionId'),
        response: { 200: motionSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: on('floor.manage', 'motionId', motionConference),
    },
    async (req) => {
      const p = actor(req);
      await settleMotion(ctx, p, req.params.motionId);
      return readMotion(ctx, req.params.motionId);
    },
  );

  const reportRoute = (kind: 'item' | 'conference') => ({
    schema: {
      tags: TAGS,
      summary:
        kind === 'item'
          ? 'Speeches and speaking time of an item by quota group, delegation and kind (JSON or CSV)'
          : 'Speeches and speaking time of the whole conference by quota group, delegation and kind (JSON or CSV)',
      description: '`Accept: text/csv` or `?format=csv`: rows of dimension,key,delegationId,speeches,spokenMs.',
      querystring: reportQuery,
      response: { 200: reportSchema, ...errors(400, 401, 404) },
    },
    config: { access: 'public' as const },
  });
  const sendReport = (
    reply: FastifyReply,
    req: FastifyRequest,
    r: Awaited<ReturnType<typeof report>>,
    format?: 'json' | 'csv',
  ) =>
    wantsCsv(format, req.headers.accept) ? reply.type('text/csv; charset=utf-8').send(reportCsv(r)) : reply.send(r);

  app.get(
    '/api/v1/agenda-items/:itemId/speakers/report',
    { ...reportRoute('item'), schema: { ...reportRoute('item').schema, params: idParams('itemId') } },
    async (req, reply) => {
      const item = await loadItem(ctx.db, req.params.itemId);
      await assertReadable(ctx, req, item.conferenceId);
      return sendReport(
        reply as unknown as FastifyReply,
        req,
        await report(ctx, item.conferenceId, item),
        req.query.format,
      );
    },
  );

  app.get(
    '/api/v1/conferences/:conferenceId/speakers/report',
    { ...reportRoute('conference'), schema: { ...reportRoute('conference').schema, params: idParams('conferenceId') } },
    async (req, reply) => {
      await assertReadable(ctx, req, req.params.conferenceId);
      return sendReport(
        reply as unknown as FastifyReply,
        req,
        await report(ctx, req.params.conferenceId, null),
        req.query.format,
      );
    },
  );
}
