/** Schema pieces shared by many routes. */
import { z } from 'zod';
import { problemSchema } from './problem.js';

export const idSchema = z.uuid({ error: 'must be an id (UUID)' });

export const idParams = <K extends string>(name: K) =>
  z.strictObject({ [name]: idSchema } as Record<K, typeof idSchema>);

/** Opaque cursors: the client passes back what it got as nextCursor. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z
    .string()
    .regex(/^[0-9]{1,9}$/, 'must be a cursor returned by an earlier page')
    .optional(),
});

export function paged<T>(rows: T[], limit: number, offset: number): { items: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  return { items: more ? rows.slice(0, limit) : rows, nextCursor: more ? String(offset + limit) : null };
}

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** The error answers a route can give, for the OpenAPI document. */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, problemSchema])) as Record<number, typeof problemSchema>;

export const iso = z.iso.datetime({ offset: true });
