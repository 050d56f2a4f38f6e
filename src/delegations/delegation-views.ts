/** Public shapes of parties, delegations and delegates. Access-code hashes never leave the service. */
import { z } from 'zod';
import type { delegates, delegations, parties } from '../db/schema.js';

export const partySchema = z
  .object({ id: z.string(), name: z.string(), abbreviation: z.string().nullable(), country: z.string().nullable() })
  .meta({ id: 'Party' });

export const delegationSchema = z
  .object({
    id: z.string(),
    conferenceId: z.string(),
    partyId: z.string().nullable(),
    name: z.string(),
    votes: z.number().int(),
  })
  .meta({ id: 'Delegation' });

export const delegateSchema = z
  .object({
    id: z.string(),
    conferenceId: z.string(),
    delegationId: z.string(),
    name: z.string(),
    role: z.enum(['head', 'delegate', 'alternate']),
    weight: z.number().int(),
    externalId: z.string().nullable(),
    present: z.boolean(),
    proxyToId: z.string().nullable(),
    hasAccessCode: z.boolean(),
    quotaGroup: z.string().nullable().describe("self-declared, one of the conference's floor quota groups"),
    firstCongress: z.boolean(),
    votesOnPaper: z
      .boolean()
      .describe(
        "marked by the desk: the chair may enter this seat's ballots on paper (in votes opened after the mark)",
      ),
  })
  .meta({ id: 'Delegate' });

export const partyView = (p: typeof parties.$inferSelect): z.infer<typeof partySchema> => ({
  id: p.id,
  name: p.name,
  abbreviation: p.abbreviation,
  country: p.country,
});

export const delegationView = (d: typeof delegations.$inferSelect): z.infer<typeof delegationSchema> => ({
  id: d.id,
  conferenceId: d.conferenceId,
  partyId: d.partyId,
  name: d.name,
  votes: d.votes,
});

export const delegateView = (d: typeof delegates.$inferSelect): z.infer<typeof delegateSchema> => ({
  id: d.id,
  conferenceId: d.conferenceId,
  delegationId: d.delegationId,
  name: d.name,
  role: d.role,
  weight: d.weight,
  externalId: d.externalId,
  present: d.present,
  proxyToId: d.proxyToId,
  hasAccessCode: d.accessCodeHash !== null,
  quotaGroup: d.quotaGroup,
  firstCongress: d.firstCongress,
  votesOnPaper: d.votesOnPaper,
});
