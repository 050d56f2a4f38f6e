/** The public shapes of conferences, sittings and agenda items, shared by routes and the live snapshot. */
import { z } from 'zod';
import type { agendaItems, conferences, sittings } from '../db/schema.js';

export const conferenceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    location: z.string().nullable(),
    startsOn: z.string().nullable(),
    endsOn: z.string().nullable(),
    visibility: z.enum(['public', 'private']),
    currentAgendaItemId: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Conference' });

export const sittingSchema = z
  .object({
    id: z.string(),
    conferenceId: z.string(),
    title: z.string(),
    startsAt: z.string().nullable(),
    endsAt: z.string().nullable(),
    position: z.number().int(),
  })
  .meta({ id: 'Sitting' });

export const agendaItemSchema = z
  .object({
    id: z.string(),
    conferenceId: z.string(),
    sittingId: z.string().nullable(),
    title: z.string(),
    description: z.string().nullable(),
    resolutionId: z.string().nullable(),
    position: z.number().int(),
    state: z.enum(['pending', 'current', 'done', 'deferred']),
  })
  .meta({ id: 'AgendaItem' });

export const conferenceView = (c: typeof conferences.$inferSelect): z.infer<typeof conferenceSchema> => ({
  id: c.id,
  name: c.name,
  location: c.location,
  startsOn: c.startsOn,
  endsOn: c.endsOn,
  visibility: c.visibility,
  currentAgendaItemId: c.currentAgendaItemId,
  createdAt: c.createdAt.toISOString(),
});

export const sittingView = (s: typeof sittings.$inferSelect): z.infer<typeof sittingSchema> => ({
  id: s.id,
  conferenceId: s.conferenceId,
  title: s.title,
  startsAt: s.startsAt?.toISOString() ?? null,
  endsAt: s.endsAt?.toISOString() ?? null,
  position: s.position,
});

export const agendaItemView = (a: typeof agendaItems.$inferSelect): z.infer<typeof agendaItemSchema> => ({
  id: a.id,
  conferenceId: a.conferenceId,
  sittingId: a.sittingId,
  title: a.title,
  description: a.description,
  resolutionId: a.resolutionId,
  position: a.position,
  state: a.state,
});
