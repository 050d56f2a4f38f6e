/** GET /votes/{voteId}/castable: what the phone needs to cast in one read (zod, for the OpenAPI document). */
import { z } from 'zod';
import { iso } from '../http/schemas.js';

const count = z.number().int().min(0);

export const castableSeatSchema = z
  .object({
    seatId: z.string(),
    kind: z
      .enum(['own', 'proxy', 'bloc'])
      .describe(
        "own: the caller's seat; proxy: a seat whose proxy the caller holds; bloc: a delegation cast by its head",
      ),
    delegationId: z.string(),
    delegationName: z.string(),
    delegateId: z.string().nullable(),
    delegateName: z.string().nullable(),
    weight: count.describe("The seat's weight, or the delegation's allocation for a bloc (a split must not exceed it)"),
    ballot: z
      .object({
        revision: count,
        castAt: iso,
        receipt: z.string().nullable().describe('null for a secret vote: its receipt is not linked to the seat'),
      })
      .nullable()
      .describe('The latest ballot on record for this seat, or null'),
  })
  .meta({ id: 'CastableSeat' });

export const castableSchema = z
  .object({
    voteId: z.string(),
    state: z.enum(['draft', 'open', 'counting', 'closed', 'cancelled']),
    mode: z.enum(['roll_call', 'secret', 'secret_e2e']),
    weighting: z.enum(['delegate', 'delegation']),
    allowChange: z.boolean(),
    deadlineAt: iso.nullable(),
    serverTime: iso.describe("The service's clock, for the phone's countdown"),
    subject: z.object({
      type: z.enum(['clause', 'amendment', 'resolution', 'motion']),
      id: z.string().nullable(),
      text: z.string().nullable().describe('The clause or amendment text (the resolution title for a final vote)'),
      translations: z.record(z.string(), z.string()).describe('The text in other languages, by language code'),
    }),
    seats: z.array(castableSeatSchema).describe('Empty until the vote opens (the electorate is frozen at open)'),
    e2e: z
      .object({
        context: z.array(z.string()),
        publicKey: z.string(),
        shape: z.object({
          options: z.array(z.string()),
          groups: z.array(
            z.object({ id: z.string(), options: z.array(z.string()), min: count, max: count }),
          ),
        }),
      })
      .nullable()
      .optional()
      .describe(
        "secret_e2e votes: what the phone encrypts under. Each seat's statement is its context " +
          '[...context, "seat", seatId] with the seat\'s weight; split only for a bloc. null until the tellers\' key is ready.',
      ),
  })
  .meta({ id: 'Castable' });
export type CastableView = z.infer<typeof castableSchema>;
