/** The writes of conferences, sittings and the agenda: admin for the conference itself, chair or admin for the rest. */
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, idSchema, iso } from '../http/schemas.js';
import { actor, existingConference, type ConferenceOf } from '../http/access.js';
import {
  agendaItemSchema,
  agendaItemView,
  conferenceSchema,
  conferenceView,
  sittingSchema,
  sittingView,
} from './conference-views.js';
import {
  createAgendaItem,
  createConference,
  createSitting,
  setCurrentItem,
  updateAgendaItem,
  updateConference,
} from './conference-service.js';
import { loadAgendaItem } from './conference-repository.js';

const name = z.string().trim().min(1).max(300);
const day = z.iso.date();
const nonEmpty = (o: Record<string, unknown>) => Object.values(o).some((v) => v !== undefined);
const NOTHING = { message: 'give at least one field to change' };

const conferenceCreate = z.strictObject({
  name,
  location: z.string().trim().max(300).nullable().optional(),
  startsOn: day.nullable().optional(),
  endsOn: day.nullable().optional(),
  visibility: z.enum(['public', 'private']).optional(),
});
const conferencePatch = conferenceCreate.partial().refine(nonEmpty, NOTHING);

const sittingCreate = z.strictObject({
  title: name,
  startsAt: iso.nullable().optional(),
  endsAt: iso.nullable().optional(),
  position: z.number().int().min(1).optional().describe('1-based; default: after the last sitting'),
});

const agendaCreate = z.strictObject({
  title: name,
  description: z.string().max(10_000).nullable().optional(),
  sittingId: idSchema.nullable().optional(),
  resolutionId: idSchema.nullable().optional(),
  position: z.number().int().min(1).optional().describe('1-based; default: at the end. Later items move down.'),
});

const agendaPatch = z
  .strictObject({
    title: name.optional(),
    description: z.string().max(10_000).nullable().optional(),
    sittingId: idSchema.nullable().optional(),
    resolutionId: idSchema.nullable().optional(),
    position: z.number().int().min(1).optional().describe('move the item; the others close up, positions stay dense'),
    state: z
      .enum(['pending', 'current', 'done', 'deferred'])
      .optional()
      .describe("'current' makes it the current item, as PUT .../agenda/current does"),
  })
  .refine(nonEmpty, NOTHING);

const currentBody = z.strictObject({
  itemId: idSchema.nullable().describe('the new current item; null: no current item'),
  previousState: z
    .enum(['done', 'deferred', 'pending'])
    .default('done')
    .describe("what the item being left becomes: 'done' (default), 'deferred' or 'pending'"),
});

const currentAnswer = z
  .object({ from: z.string().nullable(), to: z.string().nullable(), changed: z.boolean() })
  .meta({ id: 'CurrentAgendaItemChange' });

const toDate = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : new Date(v));

const agendaItemConference: ConferenceOf = async (db, id) => (await loadAgendaItem(db, id)).conferenceId;

export function registerConferenceWriteRoutes(app: App, ctx: AppContext): void {
  app.post(
    '/api/v1/conferences',
    {
      schema: {
        tags: ['conferences'],
        summary: 'Create a conference (administrator of the whole service)',
        security: [{ bearer: [] }],
        body: conferenceCreate,
        response: { 201: conferenceSchema, ...errors(400, 401, 403, 422) },
      },
      config: { access: { action: 'service.manage' } },
    },
    async (req, reply) => {
      const p = actor(req);
      const c = await createConference(ctx, p, req.body);
      return reply.code(201).send(conferenceView(c));
    },
  );

  app.patch(
    '/api/v1/conferences/:conferenceId',
    {
      schema: {
        tags: ['conferences'],
        summary: "Change a conference's name, location, dates or visibility (admin)",
        security: [{ bearer: [] }],
        params: idParams('conferenceId'),
        body: conferencePatch,
        response: { 200: conferenceSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: {
        access: { action: 'conference.manage', conference: { param: 'conferenceId', of: existingConference } },
      },
    },
    async (req) => {
      const p = actor(req);
      return conferenceView(await updateConference(ctx, p, req.params.conferenceId, req.body));
    },
  );

  app.post(
    '/api/v1/conferences/:conferenceId/sittings',
    {
      schema: {
        tags: ['conferences'],
        summary: 'Add a sitting (chair or admin)',
        security: [{ bearer: [] }],
        params: idParams('conferenceId'),
        body: sittingCreate,
        response: { 201: sittingSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: { access: { action: 'agenda.manage', conference: { param: 'conferenceId', of: existingConference } } },
    },
    async (req, reply) => {
      const p = actor(req);
      const s = await createSitting(ctx, p, req.params.conferenceId, {
        title: req.body.title,
        startsAt: toDate(req.body.startsAt),
        endsAt: toDate(req.body.endsAt),
        position: req.body.position,
      });
      return reply.code(201).send(sittingView(s));
    },
  );

  app.post(
    '/api/v1/conferences/:conferenceId/agenda',
    {
      schema: {
        tags: ['conferences'],
        summary: 'Add an agenda item (chair or admin); appended unless a position is given',
        security: [{ bearer: [] }],
        params: idParams('conferenceId'),
        body: agendaCreate,
        response: { 201: agendaItemSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: { access: { action: 'agenda.manage', conference: { param: 'conferenceId', of: existingConference } } },
    },
    async (req, reply) => {
      const p = actor(req);
      const item = await createAgendaItem(ctx, p, req.params.conferenceId, req.body);
      return reply.code(201).send(agendaItemView(item));
    },
  );

  app.patch(
    '/api/v1/agenda-items/:itemId',
    {
      schema: {
        tags: ['conferences'],
        summary: 'Change an agenda item: title, description, sitting, position (reorder) or state (chair or admin)',
        security: [{ bearer: [] }],
        params: idParams('itemId'),
        body: agendaPatch,
        response: { 200: agendaItemSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: { access: { action: 'agenda.manage', conference: { param: 'itemId', of: agendaItemConference } } },
    },
    async (req) => {
      const p = actor(req);
      const item = await loadAgendaItem(ctx.db, req.params.itemId);
      return agendaItemView(await updateAgendaItem(ctx, p, item, req.body));
    },
  );

  app.put(
    '/api/v1/conferences/:conferenceId/agenda/current',
    {
      schema: {
        tags: ['conferences'],
        summary: 'Move the current agenda item (chair or admin)',
        description:
          "One item is current per conference. The item left becomes `previousState` ('done' by default). " +
          "Appends 'agenda.current_changed' {from, to} to the event log; setting the current item again changes nothing.",
        security: [{ bearer: [] }],
        params: idParams('conferenceId'),
        body: currentBody,
        response: { 200: currentAnswer, ...errors(400, 401, 403, 404, 422) },
      },
      config: { access: { action: 'agenda.manage', conference: { param: 'conferenceId', of: existingConference } } },
    },
    async (req) => {
      const p = actor(req);
      return setCurrentItem(ctx, p, req.params.conferenceId, req.body.itemId, req.body.previousState);
    },
  );
}
