import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChainEntry,
  type ChainEntryContent,
  GENESIS_HASH,
  canonicalJson,
  contentHash,
  entryHash,
  verifyChain,
} from '../../src/audit/hash-chain.js';

const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

function buildChain(contents: readonly ChainEntryContent[], startPrevHash = GENESIS_HASH): ChainEntry[] {
  const out: ChainEntry[] = [];
  let prev = startPrevHash;
  for (const c of contents) {
    const ch = contentHash(c);
    const hash = entryHash(prev, ch);
    out.push({ ...c, prevHash: prev, contentHash: ch, hash });
    prev = hash;
  }
  return out;
}

/** Re-hashes one entry as a forger would, without touching its successors. */
function rehashed(e: ChainEntryContent & { prevHash: string }): ChainEntry {
  const ch = contentHash(e);
  return { ...e, contentHash: ch, hash: entryHash(e.prevHash, ch) };
}

const contentArb = (conferenceId: string, seq: number): fc.Arbitrary<ChainEntryContent> =>
  fc.record({
    conferenceId: fc.constant(conferenceId),
    seq: fc.constant(seq),
    type: fc.constantFrom('vote.opened', 'ballot.cast', 'vote.closed', 'amendment.moved', 'speaker.added'),
    actor: fc.option(fc.uuid(), { nil: null }),
    at: fc
      .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    data: fc.jsonValue({ maxDepth: 3 }),
  });

const chainArb = (minLength: number): fc.Arbitrary<ChainEntry[]> =>
  fc
    .tuple(fc.uuid(), fc.integer({ min: minLength, max: 25 }), fc.nat({ max: 1000 }))
    .chain(([conf, n, start]) => fc.tuple(...Array.from({ length: n }, (_, i) => contentArb(conf, start + i))))
    .map((contents) => buildChain(contents));

describe('canonicalJson (RFC 8785)', () => {
  it('reproduces the RFC 8785 section 3.2.2 example', () => {
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    expect(canonicalJson(JSON.parse(input))).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  it('sorts keys by UTF-16 code units (RFC 8785 section 3.2.3 example)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Compared as text: Object.keys would list the integer-like key "1" first.
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control",' +
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
        '"\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it.each([
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [0.1, '0.1'],
    [-0, '0'],
    [0, '0'],
    [4.5, '4.5'],
    [0.000001, '0.000001'],
    [1e-7, '1e-7'],
    [5e-324, '5e-324'],
    [-5e-324, '-5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [9007199254740992, '9007199254740992'],
    [-9007199254740992, '-9007199254740992'],
    [295147905179352830000, '295147905179352830000'],
    [9.999999999999997e22, '9.999999999999997e+22'],
    [1e23, '1e+23'],
    [333333333.3333333, '333333333.3333333'],
  ])('formats the number %d as %s', (n, text) => {
    expect(canonicalJson(n)).toBe(text);
    expect(canonicalJson([n])).toBe(`[${text}]`);
  });

  it('escapes only what RFC 8785 requires', () => {
    expect(canonicalJson('\u0000\u0001\u001f')).toBe('"\\u0000\\u0001\\u001f"');
    expect(canonicalJson('\b\t\n\f\r')).toBe('"\\b\\t\\n\\f\\r"');
    expect(canonicalJson('"\\')).toBe('"\\"\\\\"');
    expect(canonicalJson('/\u007f\u00e9\u20ac\u2028\ud83d\ude00')).toBe('"/\u007f\u00e9\u20ac\u2028\ud83d\ude00"');
    expect(canonicalJson({ 'k\n': 'v' })).toBe('{"k\\n":"v"}');
  });

  it('rejects lone surrogates, which have no UTF-8 form', () => {
    expect(() => canonicalJson('\ud800')).toThrow();
    expect(() => canonicalJson({ a: ['x\udc00y'] })).toThrow();
  });

  it('does not depend on key insertion order (fast-check)', () => {
    const shuffle = (v: unknown, seed: number): unknown => {
      if (Array.isArray(v)) return v.map((x, i) => shuffle(x, seed + i));
      if (v !== null && typeof v === 'object') {
        const entries = Object.entries(v);
        const rotated = entries.map((_, i) => entries[(i + seed) % entries.length]!).reverse();
        const out: Record<string, unknown> = {};
        for (const [k, x] of rotated) Object.defineProperty(out, k, { value: shuffle(x, seed + 1), enumerable: true });
        return out;
      }
      return v;
    };
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        expect(canonicalJson(shuffle(value, seed))).toBe(canonicalJson(value));
      }),
      { numRuns: 300 },
    );
  });

  it('is a fixed point of JSON round-trips and keeps the value (fast-check)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('throws on values JSON would silently drop or mangle', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const bad: unknown[] = [
      undefined,
      () => 1,
      { a: () => 1 },
      [undefined],
      [() => 1],

      [1, , 2],
      Number.NaN,
      Number.POSITIVE_INFINITY,
      { a: Number.NEGATIVE_INFINITY },
      [Number.NaN],
      1n,
      { a: 1n },
      Symbol('s'),
      { a: Symbol('s') },
      circular,
      [circular],
      new Map([['a', 1]]),
      new Set([1]),
      new Point(1),
      { p: new Point(1) },
      new Date(Number.NaN),
    ];
    for (const value of bad) expect(() => canonicalJson(value), String(value)).toThrow(TypeError);
  });

  it('omits undefined object properties, as a JSON store would', () => {
    expect(canonicalJson({ b: 1, a: undefined })).toBe('{"b":1}');
  });

  it('accepts Dates, toJSON, shared references and awkward keys', () => {
    expect(canonicalJson({ at: new Date('2025-06-01T10:00:00Z') })).toBe('{"at":"2025-06-01T10:00:00.000Z"}');
    expect(canonicalJson({ v: { toJSON: () => ({ z: 1, a: 2 }) } })).toBe('{"v":{"a":2,"z":1}}');
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
    expect(canonicalJson(JSON.parse('{"__proto__":{"polluted":true},"a":1}'))).toBe(
      '{"__proto__":{"polluted":true},"a":1}',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const bare = Object.create(null) as Record<string, unknown>;
    bare.b = true;
    bare.a = null;
    expect(canonicalJson(bare)).toBe('{"a":null,"b":true}');
  });
});

describe('contentHash and entryHash', () => {
  const content: ChainEntryContent = {
    conferenceId: 'conf-1',
    seq: 7,
    type: 'vote.closed',
    actor: null,
    at: '2025-06-01T10:00:00.000Z',
    data: { yes: 120, no: 80, note: 'Ünïcode ✓' },
  };

  it('hashes the canonical JSON of exactly the six content fields', () => {
    const expected =
      '{"actor":null,"at":"2025-06-01T10:00:00.000Z","conferenceId":"conf-1",' +
      '"data":{"no":80,"note":"Ünïcode ✓","yes":120},"seq":7,"type":"vote.closed"}';
    expect(contentHash(content)).toBe(sha256Hex(expected));
    const row = { ...content, prevHash: GENESIS_HASH, contentHash: 'x', hash: 'y', id: 42 };
    expect(contentHash(row)).toBe(contentHash(content));
  });

  it('rejects content fields of the wrong type', () => {
    const bad = (patch: Record<string, unknown>) => ({ ...content, ...patch }) as unknown as ChainEntryContent;
    expect(() => contentHash(bad({ seq: '7' }))).toThrow(TypeError);
    expect(() => contentHash(bad({ seq: 1.5 }))).toThrow(TypeError);
    expect(() => contentHash(bad({ seq: -1 }))).toThrow(TypeError);
    expect(() => contentHash(bad({ actor: undefined }))).toThrow(TypeError);
    expect(() => contentHash(bad({ at: new Date() }))).toThrow(TypeError);
    expect(() => contentHash(bad({ type: 3 }))).toThrow(TypeError);
    expect(() => contentHash(bad({ conferenceId: null }))).toThrow(TypeError);
    expect(() => contentHash(bad({ data: undefined }))).toThrow(TypeError);
    expect(() => contentHash(bad({ data: { n: Number.NaN } }))).toThrow(TypeError);
  });

  it('chains as SHA-256 of "prevHash:contentHash"', () => {
    const ch = contentHash(content);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(entryHash(GENESIS_HASH, ch)).toBe(sha256Hex(`${'0'.repeat(64)}:${ch}`));
    expect(entryHash(GENESIS_HASH, GENESIS_HASH)).toBe(sha256Hex(`${'0'.repeat(64)}:${'0'.repeat(64)}`));
  });

  it('accepts only 64 lowercase hex characters in entryHash', () => {
    const ch = contentHash(content);
    expect(() => entryHash(GENESIS_HASH, ch.toUpperCase())).toThrow(TypeError);
    expect(() => entryHash(GENESIS_HASH.slice(1), ch)).toThrow(TypeError);
    expect(() => entryHash(GENESIS_HASH, `${ch}\n`)).toThrow(TypeError);
  });
});

describe('verifyChain', () => {
  it('accepts an empty chain and random well-formed chains (fast-check)', () => {
    expect(verifyChain([])).toEqual({ ok: true });
    fc.assert(
      fc.property(chainArb(1), (chain) => {
        expect(verifyChain(chain)).toEqual({ ok: true });
        expect(verifyChain(chain, { startSeq: chain[0]!.seq })).toEqual({ ok: true });
      }),
      { numRuns: 150 },
    );
  });

  it('verifies a segment from its predecessor hash', () => {
    fc.assert(
      fc.property(chainArb(2), fc.nat(), (chain, pick) => {
        const k = 1 + (pick % (chain.length - 1));
        const prev = chain[k - 1]!;
        expect(verifyChain(chain.slice(k), { startPrevHash: prev.hash, startSeq: prev.seq + 1 })).toEqual({
          ok: true,
        });
        expect(verifyChain(chain.slice(k)).ok).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  type Mutation = (chain: ChainEntry[], i: number, j: number, extra: unknown) => ChainEntry[] | null;

  const differentJson = (a: unknown, b: unknown): unknown =>
    canonicalJson(a) === canonicalJson(b) ? { changed: a } : b;

  const mutations: Record<string, Mutation> = {
    'edit data': (c, i, _j, extra) => c.map((e, k) => (k === i ? { ...e, data: differentJson(e.data, extra) } : e)),
    'edit data and re-hash that entry': (c, i, _j, extra) =>
      i === c.length - 1
        ? null
        : c.map((e, k) => (k === i ? rehashed({ ...e, data: differentJson(e.data, extra) }) : e)),
    'change type': (c, i) => c.map((e, k) => (k === i ? { ...e, type: `${e.type}.x` } : e)),
    'change actor': (c, i) =>
      c.map((e, k) => (k === i ? { ...e, actor: e.actor === null ? 'someone' : `${e.actor}x` } : e)),
    'change at': (c, i) => c.map((e, k) => (k === i ? { ...e, at: new Date(Date.parse(e.at) + 1).toISOString() } : e)),
    'change seq': (c, i) => c.map((e, k) => (k === i ? { ...e, seq: e.seq + 1 } : e)),
    'change conferenceId': (c, i) => c.map((e, k) => (k === i ? { ...e, conferenceId: `${e.conferenceId}x` } : e)),
    'remove an entry (not the last)': (c, i) => (i === c.length - 1 ? null : c.filter((_, k) => k !== i)),
    'insert a well-formed forged entry': (c, i, _j, extra) => {
      const at = c[i]!;
      const forged = rehashed({ ...at, type: 'forged', data: extra });
      return [...c.slice(0, i), forged, ...c.slice(i)];
    },
    'swap two entries': (c, i, j) => {
      if (i === j) return null;
      const out = [...c];
      out[i] = c[j]!;
      out[j] = c[i]!;
      return out;
    },
    'change hash': (c, i) => c.map((e, k) => (k === i ? { ...e, hash: sha256Hex(e.hash) } : e)),
    'change prevHash': (c, i) => c.map((e, k) => (k === i ? { ...e, prevHash: sha256Hex(e.prevHash) } : e)),
    'change contentHash': (c, i) => c.map((e, k) => (k === i ? { ...e, contentHash: sha256Hex(e.contentHash) } : e)),
  };

  it.each(Object.keys(mutations))('detects: %s (fast-check)', (name) => {
    const mutate = mutations[name]!;
    fc.assert(
      fc.property(chainArb(2), fc.nat(), fc.nat(), fc.jsonValue({ maxDepth: 2 }), (chain, a, b, extra) => {
        const i = a % chain.length;
        const j = b % chain.length;
        const mutated = mutate(chain, i, j, extra);
        fc.pre(mutated !== null);
        const result = verifyChain(mutated);
        expect(result.ok).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('reports the first broken entry and why', () => {
    const chain = buildChain(
      Array.from({ length: 5 }, (_, i) => ({
        conferenceId: 'c',
        seq: i + 1,
        type: 'ballot.cast',
        actor: `d${i}`,
        at: new Date(Date.UTC(2025, 5, 1, 10, i)).toISOString(),
        data: { i },
      })),
    );
    expect(verifyChain(chain, { startSeq: 1 })).toEqual({ ok: true });
    expect(verifyChain(chain, { startSeq: 0 })).toMatchObject({ ok: false, seq: 1 });

    const edited = chain.map((e) => (e.seq === 3 ? { ...e, data: { i: 99 } } : e));
    expect(verifyChain(edited)).toEqual({ ok: false, seq: 3, reason: 'contentHash does not match the content' });

    const forged = chain.map((e) => (e.seq === 3 ? rehashed({ ...e, data: { i: 99 } }) : e));
    expect(verifyChain(forged)).toEqual({
      ok: false,
      seq: 4,
      reason: 'prevHash does not match the previous entry hash',
    });

    expect(verifyChain(chain.filter((e) => e.seq !== 2))).toMatchObject({ ok: false, seq: 3 });
    expect(verifyChain(chain.slice(1))).toMatchObject({ ok: false, seq: 2, reason: expect.stringMatching(/prevHash/) });

    const unhashable = chain.map((e) => (e.seq === 2 ? { ...e, data: { n: Number.NaN } } : e));
    expect(verifyChain(unhashable)).toMatchObject({
      ok: false,
      seq: 2,
      reason: expect.stringMatching(/cannot be hashed/),
    });
  });

  it('cannot see entries cut off the end (the signed head must anchor it)', () => {
    const chain = buildChain(
      [1, 2, 3].map((seq) => ({
        conferenceId: 'c',
        seq,
        type: 't',
        actor: null,
        at: '2025-01-01T00:00:00Z',
        data: seq,
      })),
    );
    expect(verifyChain(chain.slice(0, 2))).toEqual({ ok: true });
  });

  it('throws on a malformed startPrevHash', () => {
    expect(() => verifyChain([], { startPrevHash: 'abc' })).toThrow(TypeError);
    expect(() => verifyChain([], { startPrevHash: GENESIS_HASH.replace(/0/g, 'A') })).toThrow(TypeError);
  });
});
