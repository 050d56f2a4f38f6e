/**
 * Request and response shapes of the tellers' routes (zod: validation and the OpenAPI
 * document). The forms are those of docs/e2e-ballots.md: points and scalars in lowercase
 * hex; whether each value is a valid point or scalar, and every proof, the service checks.
 */
import { z } from 'zod';
import { idSchema } from '../http/schemas.js';
import { CEREMONY_PHASES, MAX_TELLERS } from '../domain/e2e/ceremony.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
export const pointSchema = hex64.meta({ id: 'E2ePoint', description: 'A ristretto255 point (canonical, hex).' });
export const scalarSchema = hex64.meta({
  id: 'E2eScalar',
  description: 'A scalar below the group order (little-endian hex).',
});
const tellerIndex = z.number().int().min(1).max(MAX_TELLERS);

export const proofPartSchema = z.strictObject({ c: scalarSchema, z: scalarSchema }).meta({ id: 'E2eProofPart' });
export const ciphertextSchema = z.strictObject({ a: pointSchema, b: pointSchema }).meta({ id: 'E2eCiphertext' });

export const ballotShapeSchema = z
  .object({
    options: z.array(z.string()),
    groups: z.array(
      z.object({ id: z.string(), options: z.array(z.string()), min: z.number().int(), max: z.number().int() }),
    ),
  })
  .meta({ id: 'E2eBallotShape' });

/**
 * An encrypted ballot as a vote or an election takes it (docs/e2e-ballots.md section 5). Its
 * form is checked with its proofs against the subject's shape (422 invalid_ballot_proof), so
 * the schema only bounds it: an approval or yes/no/abstain election has up to three options
 * per candidate.
 */
export const encryptedBallotSchema = z
  .looseObject({ options: z.array(z.unknown()).max(1500), groups: z.array(z.unknown()).max(600) })
  .meta({ id: 'EncryptedBallot' });

export const identityBody = z
  .strictObject({ index: tellerIndex, publicKey: pointSchema, proof: proofPartSchema })
  .meta({ id: 'TellerIdentity' });

export const dealingBody = z
  .strictObject({
    index: tellerIndex,
    commitments: z.array(pointSchema).min(1).max(MAX_TELLERS),
    proof: proofPartSchema,
    shares: z
      .array(
        z.strictObject({
          to: tellerIndex,
          ephemeral: pointSchema,
          ciphertext: z.string().regex(/^[0-9a-f]{96}$/, 'must be 96 lowercase hex digits (AES-256-GCM of 32 bytes)'),
        }),
      )
      .min(1)
      .max(MAX_TELLERS),
  })
  .meta({ id: 'TellerDealing' });

export const complaintSchema = z
  .strictObject({ accuser: tellerIndex, accused: tellerIndex, sharedPoint: pointSchema, proof: proofPartSchema })
  .meta({ id: 'TellerComplaint' });

export const checksBody = z
  .strictObject({ index: tellerIndex, complaints: z.array(complaintSchema).max(MAX_TELLERS) })
  .meta({ id: 'TellerChecks' });

/** One factor per option of the shape (a yes/no/abstain election has 3 per candidate). */
export const partialBody = z
  .strictObject({
    index: tellerIndex,
    factors: z
      .array(z.strictObject({ d: pointSchema, proof: proofPartSchema }))
      .min(1)
      .max(3000),
  })
  .meta({ id: 'TellerPartial' });

export const ceremonyStateSchema = z
  .object({
    context: z.array(z.string()),
    threshold: z.number().int(),
    phase: z.enum(CEREMONY_PHASES),
    shape: ballotShapeSchema,
    tellers: z.array(z.object({ index: z.number().int(), accountId: idSchema, name: z.string() })),
    identities: z.array(identityBody),
    dealings: z.array(dealingBody),
    checks: z.array(z.object({ index: z.number().int(), complaints: z.array(complaintSchema) })),
    qualified: z.array(z.number().int()).nullable(),
    publicKey: pointSchema.nullable(),
    aggregate: z.array(ciphertextSchema).nullable(),
    partials: z.array(partialBody),
    totals: z.record(z.string(), z.number().int()).nullable(),
  })
  .meta({ id: 'TellersCeremony' });

export const tellerIndexParam = z.coerce.number().int().min(1).max(MAX_TELLERS);
