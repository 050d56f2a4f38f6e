import { z } from 'zod';
import type { amendments, clauses, resolutions } from '../db/schema.js';

export const clauseSchema = z
  .object({
    id: z.string(),
    resolutionId: z.string(),
    number: z.number().int(),
    position: z.number().int(),
    text: z.string(),
    translations: z.record(z.string(), z.string()),
  })
  .meta({ id: 'Clause' });

export const amendmentSchema = z
  .object({
    id: z.string(),
    resolutionId: z.string(),
    clauseId: z.string(),
    number: z.number().int(),
    kind: z.enum(['replace', 'insert_after', 'delete']),
    text: z.string().nullable(),
    status: z.enum(['submitted', 'admitted', 'inadmissible', 'withdrawn']),
    proposerDelegationId: z.string().nullable(),
    createdAt: z.string(),
    decidedAt: z.string().nullable(),
  })
  .meta({ id: 'Amendment' });

export const resolutionSchema = z
  .object({
    id: z.string(),
    conferenceId: z.string(),
    title: z.string(),
    preamble: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Resolution' });

export const resolutionDetailSchema = resolutionSchema
  .extend({ clauses: z.array(clauseSchema), amendments: z.array(amendmentSchema) })
  .meta({ id: 'ResolutionDetail' });

export const resolutionView = (r: typeof resolutions.$inferSelect): z.infer<typeof resolutionSchema> => ({
  id: r.id,
  conferenceId: r.conferenceId,
  title: r.title,
  preamble: r.preamble,
  createdAt: r.createdAt.toISOString(),
});

export const clauseView = (c: typeof clauses.$inferSelect): z.infer<typeof clauseSchema> => ({
  id: c.id,
  resolutionId: c.resolutionId,
  number: c.number,
  position: c.position,
  text: c.text,
  translations: c.translations,
});

export const amendmentView = (a: typeof amendments.$inferSelect): z.infer<typeof amendmentSchema> => ({
  id: a.id,
  resolutionId: a.resolutionId,
  clauseId: a.clauseId,
  number: a.number,
  kind: a.kind,
  text: a.text,
  status: a.status,
  proposerDelegationId: a.proposerDelegationId,
  createdAt: a.createdAt.toISOString(),
  decidedAt: a.decidedAt?.toISOString() ?? null,
});
