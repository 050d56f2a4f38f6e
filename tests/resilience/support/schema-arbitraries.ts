/**
 * fast-check arbitraries from JSON Schemas (the API's own route schemas): values that
 * conform, and values that do not (wrong types, unknown fields, missing required fields,
 * out-of-range numbers, oversized or hostile strings). Small on purpose: the subset of
 * JSON Schema that zod emits for our routes.
 */
import fc from 'fast-check';

export type Schema = Record<string, unknown>;

export interface Ctx {
  resolve(ref: string): Schema | undefined;
  /** Ids that exist (so that valid requests reach deep into the handlers). */
  ids: string[];
}

const MAX_DEPTH = 6;

function deref(s: Schema, ctx: Ctx): Schema {
  let cur = s;
  for (let i = 0; i < 5 && typeof cur.$ref === 'string'; i++) cur = ctx.resolve(cur.$ref) ?? {};
  return cur;
}

const hostileString = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  "'; drop table ballots; --",
  '../../etc/passwd',
  '%00',
  '<script>alert(1)</script>',
  '\uD800',
  'x'.repeat(5000),
  '{{7*7}}',
  '${process.exit(1)}',
  '1e309',
  'NaN',
  '-0',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 2 ** 53, -(2 ** 63), 1.5, Number.MAX_VALUE, [], {}, [[[[[]]]]]),
  fc.constant({ __proto__: { admin: true } }),
  fc.constant(JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}}')),
  fc.jsonValue({ maxDepth: 3 }),
);

export function validOf(schema: Schema, ctx: Ctx, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(schema, ctx);
  if (depth > MAX_DEPTH) return fc.constant(null);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const alts = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alts?.length) return fc.oneof(...alts.map((a) => validOf(a, ctx, depth + 1)));
  if (Array.isArray(s.allOf) && s.allOf.length) return validOf(s.allOf[0] as Schema, ctx, depth + 1);
  if (Array.isArray(s.type)) {
    return fc.oneof(...(s.type as string[]).map((t) => validOf({ ...s, type: t }, ctx, depth + 1)));
  }
  switch (s.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min = typeof s.minimum === 'number' ? s.minimum : -1_000_000;
      const max = typeof s.maximum === 'number' ? s.maximum : 1_000_000;
      const lo = Math.max(Number.MIN_SAFE_INTEGER, Math.ceil(min + (typeof s.exclusiveMinimum === 'number' ? 1 : 0)));
      const hi = Math.min(Number.MAX_SAFE_INTEGER, Math.floor(max - (typeof s.exclusiveMaximum === 'number' ? 1 : 0)));
      return fc.oneof(fc.integer({ min: lo, max: Math.max(lo, Math.min(hi, lo + 1000)) }), fc.constantFrom(lo, hi));
    }
    case 'string': {
      if (s.format === 'uuid') return fc.oneof(fc.constantFrom(...ctx.ids), fc.uuid());
      if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      if (s.format === 'date') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
      if (s.format === 'email') return fc.emailAddress();
      if (typeof s.pattern === 'string') {
        try {
          return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= 300);
        } catch {
          // fall through
        }
      }
      const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
      const maxLength = Math.max(minLength, Math.min(typeof s.maxLength === 'number' ? s.maxLength : 40, 60));
      return fc.string({ minLength, maxLength, unit: 'grapheme' });
    }
    case 'array': {
      const items = (s.items as Schema | undefined) ?? {};
      const minLength = typeof s.minItems === 'number' ? s.minItems : 0;
      const maxLength = Math.max(minLength, Math.min(typeof s.maxItems === 'number' ? s.maxItems : 4, 4));
      return fc.array(validOf(items, ctx, depth + 1), { minLength, maxLength });
    }
    case 'object':
    default: {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      if (!s.properties && s.type !== 'object') return fc.jsonValue({ maxDepth: 2 });
      const required = (s.required ?? []) as string[];
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) model[k] = validOf(v, ctx, depth + 1);
      return fc.record(model, { requiredKeys: required.filter((k) => k in props) });
    }
  }
}

/** Values that break the schema somewhere: at the top or in one field. */
export function invalidOf(schema: Schema, ctx: Ctx): fc.Arbitrary<unknown> {
  const s = deref(schema, ctx);
  const variants: fc.Arbitrary<unknown>[] = [hostileValue];
  const objectLike = (s.anyOf ?? s.oneOf ?? [s]) as Schema[];
  for (const alt0 of objectLike) {
    const alt = deref(alt0, ctx);
    if (alt.type !== 'object' || !alt.properties) continue;
    const props = alt.properties as Record<string, Schema>;
    const required = (alt.required ?? []) as string[];
    const valid = validOf(alt, ctx) as fc.Arbitrary<Record<string, unknown>>;
    // An unknown field.
    variants.push(
      fc
        .tuple(valid, fc.string({ minLength: 1, maxLength: 12 }), hostileValue)
        .map(([v, k, x]) => (k in props ? { ...v, [`${k}_unknown`]: x } : { ...v, [k]: x })),
    );
    // A required field missing.
    if (required.length) {
      variants.push(
        fc.tuple(valid, fc.constantFrom(...required)).map(([v, k]) => {
          const out = { ...v };
          delete out[k];
          return out;
        }),
      );
    }
    // One field of the wrong type or out of range.
    const keys = Object.keys(props);
    if (keys.length) {
      variants.push(fc.tuple(valid, fc.constantFrom(...keys), hostileValue).map(([v, k, x]) => ({ ...v, [k]: x })));
    }
  }
  return fc.oneof(...variants);
}
