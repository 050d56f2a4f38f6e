import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nextDue,
  pinForPosition,
  speakerOrder,
  type ListState,
  type OrderRules,
  type SpeechKind,
  type StartedSpeech,
  type WaitingRequest,
  type WhenEmpty,
} from '../../src/domain/speaker-order.js';

const NO_RULES: OrderRules = {
  quota: null,
  firstCongressFirst: false,
  fewestContributionsFirst: false,
  forAgainst: false,
  pointOfOrderCategories: [],
};
const quota = (whenEmpty: WhenEmpty = 'ask_assembly'): OrderRules => ({
  ...NO_RULES,
  quota: { groups: ['woman', 'open'], first: 'woman', whenEmpty },
});

/** `W1` is a woman's request, `O2` the open list's; the digit is the arrival order. Other fields by options. */
function req(
  name: string,
  opts: Partial<Omit<WaitingRequest, 'requestId' | 'seq'>> & { seq?: number } = {},
): WaitingRequest {
  const seq = opts.seq ?? Number(/\d+/.exec(name)?.[0] ?? 0);
  return {
    requestId: name,
    seq,
    delegateId: opts.delegateId ?? `d-${name}`,
    kind: opts.kind ?? 'contribution',
    quotaGroup: opts.quotaGroup !== undefined ? opts.quotaGroup : name.startsWith('W') ? 'woman' : 'open',
    firstCongress: opts.firstCongress ?? false,
    category: opts.category ?? null,
    motion: opts.motion ?? false,
    pin: opts.pin ?? null,
  };
}
const spoke = (name: string, opts: Partial<StartedSpeech> = {}): StartedSpeech => ({
  requestId: name,
  delegateId: opts.delegateId ?? `d-${name}`,
  kind: opts.kind ?? 'contribution',
  quotaGroup: opts.quotaGroup !== undefined ? opts.quotaGroup : name.startsWith('W') ? 'woman' : 'open',
  waived: opts.waived ?? false,
  overridden: opts.overridden ?? false,
  motion: opts.motion ?? false,
});
const state = (rules: OrderRules, waiting: WaitingRequest[], more: Partial<ListState> = {}): ListState => ({
  rules,
  waiting,
  history: [],
  assemblyContinuedAt: null,
  debateClosed: false,
  motionPending: false,
  ...more,
});
const due = (s: ListState) =>
  speakerOrder(s)
    .queue.filter((e) => e.status === 'due')
    .map((e) => e.requestId);
const all = (s: ListState) => speakerOrder(s).queue.map((e) => e.requestId);

describe('speakerOrder: one rule at a time', () => {
  it.each<[string, ListState, string[]]>([
    ['no rules: arrival', state(NO_RULES, [req('O3'), req('O1'), req('O2')]), ['O1', 'O2', 'O3']],
    [
      'quota alternates, a woman first',
      state(quota(), [req('O1'), req('O2'), req('W3'), req('W4'), req('O5')]),
      ['W3', 'O1', 'W4', 'O2'],
    ],
    [
      'quota turn follows the history: after a woman, the open list',
      state(quota(), [req('W1'), req('O2')], { history: [spoke('W0')] }),
      ['O2', 'W1'],
    ],
    [
      'a speaker with no group, or a group the rule does not know, counts for the last group',
      state(quota(), [req('X1', { quotaGroup: null }), req('X2', { quotaGroup: 'other' }), req('W3')]),
      ['W3', 'X1'],
    ],
    [
      'first-time speakers first within the group',
      state({ ...quota(), firstCongressFirst: true }, [req('W1'), req('W2', { firstCongress: true }), req('O3')]),
      ['W2', 'O3', 'W1'],
    ],
    [
      'first-time speakers first without a quota',
      state({ ...NO_RULES, firstCongressFirst: true }, [req('O1'), req('O2', { firstCongress: true })]),
      ['O2', 'O1'],
    ],
    [
      'fewest contributions on the item first',
      state({ ...NO_RULES, fewestContributionsFirst: true }, [req('O1', { delegateId: 'a' }), req('O2')], {
        history: [spoke('O0', { delegateId: 'a' })],
      }),
      ['O2', 'O1'],
    ],
    [
      'fewest contributions counts the picks ahead in the queue too',
      state({ ...NO_RULES, fewestContributionsFirst: true }, [
        req('O1', { delegateId: 'a' }),
        req('O2', { delegateId: 'a', kind: 'for' }),
        req('O3'),
      ]),
      ['O1', 'O3', 'O2'],
    ],
    [
      'for/against alternation, "for" first',
      state({ ...NO_RULES, forAgainst: true }, [
        req('O1', { kind: 'against' }),
        req('O2', { kind: 'against' }),
        req('O3', { kind: 'for' }),
        req('O4', { kind: 'for' }),
      ]),
      ['O3', 'O1', 'O4', 'O2'],
    ],
    [
      'for/against continues from the last side spoken',
      state({ ...NO_RULES, forAgainst: true }, [req('O1', { kind: 'against' }), req('O2', { kind: 'for' })], {
        history: [spoke('O0', { kind: 'for' })],
      }),
      ['O1', 'O2'],
    ],
    [
      'first-timers rank above fewest contributions',
      state(
        { ...NO_RULES, firstCongressFirst: true, fewestContributionsFirst: true },
        [req('O1'), req('O2', { delegateId: 'a', firstCongress: true })],
        { history: [spoke('O0', { delegateId: 'a' })] },
      ),
      ['O2', 'O1'],
    ],
    [
      'priority classes: question, points of order by rank, motions, replies, then the debate',
      state({ ...quota(), pointOfOrderCategories: ['procedure', 'agenda'] }, [
        req('W1'),
        req('O2', { kind: 'reply' }),
        req('O3', { kind: 'procedural_motion' }),
        req('O4', { kind: 'point_of_order', category: 'agenda' }),
        req('O5', { kind: 'point_of_order', category: 'procedure' }),
        req('O6', { kind: 'point_of_order', category: null }),
        req('O7', { kind: 'question' }),
      ]),
      ['O7', 'O5', 'O4', 'O6', 'O3', 'O2', 'W1'],
    ],
    [
      'priority speeches do not take the quota turn',
      state(quota(), [req('W2'), req('O3')], { history: [spoke('W0'), spoke('W1', { kind: 'point_of_order' })] }),
      ['O3', 'W2'],
    ],
  ])('%s', (_name, s, expected) => {
    expect(due(s)).toEqual(expected);
  });
});

describe('speakerOrder: when the group of the turn has nobody waiting', () => {
  it('ask_assembly holds the debate at the empty turn, listing the held requests in arrival order', () => {
    const r = speakerOrder(state(quota('ask_assembly'), [req('W1'), req('O2'), req('O3'), req('O4')]));
    expect(r.queue.map((e) => [e.requestId, e.status])).toEqual([
      ['W1', 'due'],
      ['O2', 'due'],
      ['O3', 'held'],
      ['O4', 'held'],
    ]);
    expect(r.hold).toEqual({ reason: 'assembly_decision_required', group: 'woman' });
  });

  it('after the assembly decides to go on, the open list speaks without the quota', () => {
    const s = state(quota('ask_assembly'), [req('O3'), req('O4')], {
      history: [spoke('W1'), spoke('O2')],
      assemblyContinuedAt: 2,
    });
    expect(due(s)).toEqual(['O3', 'O4']);
    expect(speakerOrder(s).queue.every((e) => e.waived)).toBe(true);
  });

  it('the decision lapses once the group speaks again by the rules', () => {
    const s = state(quota('ask_assembly'), [req('O5'), req('O6')], {
      history: [spoke('W1'), spoke('O2'), spoke('O3', { waived: true }), spoke('W4')],
      assemblyContinuedAt: 2,
    });
    expect(due(s)).toEqual(['O5']);
    expect(speakerOrder(s).hold?.reason).toBe('assembly_decision_required');
  });

  it('a woman asking while the quota is waived gets the next turn', () => {
    const s = state(quota('ask_assembly'), [req('O4'), req('W5')], {
      history: [spoke('W1'), spoke('O2'), spoke('O3', { waived: true })],
      assemblyContinuedAt: 2,
    });
    expect(due(s)).toEqual(['W5', 'O4']);
  });

  it('end_after_next: the next speaker of the other group is the last', () => {
    const r = speakerOrder(
      state(quota('end_after_next'), [req('O2'), req('O3'), req('O4')], { history: [spoke('W1')] }),
    );
    expect(r.queue.map((e) => [e.requestId, e.status, e.endsList])).toEqual([
      ['O2', 'due', false],
      ['O3', 'due', true],
      ['O4', 'held', false],
    ]);
    expect(r.hold).toEqual({ reason: 'quota_exhausted', group: 'woman' });
  });

  it('end_after_next after the last speaker spoke: everyone left is held', () => {
    const s = state(quota('end_after_next'), [req('O4')], {
      history: [spoke('W1'), spoke('O2'), spoke('O3', { waived: true })],
    });
    expect(due(s)).toEqual([]);
    expect(all(s)).toEqual(['O4']);
  });

  it('openFor n: n more speakers without the quota, then the end', () => {
    const s = state(quota({ openFor: 3 }), [req('O1'), req('O2'), req('O3'), req('O4'), req('O5')]);
    const r = speakerOrder(s);
    expect(due(s)).toEqual(['O1', 'O2', 'O3']);
    expect(r.queue.filter((e) => e.endsList).map((e) => e.requestId)).toEqual(['O3']);
  });

  it('a motion before the assembly holds the debate; its mover, then one for, then one against speak first', () => {
    const s = state(
      quota(),
      [
        req('W1'),
        req('O2', { kind: 'against', motion: true }),
        req('O3', { kind: 'for', motion: true }),
        req('O4', { kind: 'procedural_motion', motion: true }),
        req('O5', { kind: 'point_of_order' }),
      ],
      { motionPending: true },
    );
    expect(due(s)).toEqual(['O5', 'O4', 'O3', 'O2']);
    expect(speakerOrder(s).hold?.reason).toBe('motion_pending');
  });

  it('speeches on a motion do not count for the quota or for/against of the debate', () => {
    const s = state(
      { ...quota(), forAgainst: true },
      [req('W2', { kind: 'for' }), req('W3', { kind: 'against' }), req('O4')],
      {
        history: [spoke('W0', { kind: 'for' }), spoke('W1', { kind: 'against', motion: true })],
      },
    );
    // W3 (against) before W2: the last side spoken in the debate was W0's "for", not W1's on the motion.
    expect(all(s)).toEqual(['O4', 'W3', 'W2']);
  });

  it('a closed debate holds the debate but not points of order', () => {
    const s = state(quota(), [req('W1'), req('O2', { kind: 'point_of_order' })], { debateClosed: true });
    expect(due(s)).toEqual(['O2']);
    expect(speakerOrder(s).hold?.reason).toBe('debate_closed');
  });
});

describe('speakerOrder: overrides', () => {
  it('a pinned request speaks after its anchor; the others keep their order', () => {
    const base = [req('W1'), req('O2'), req('W3'), req('O4')];
    const before = all(state(quota(), base));
    expect(before).toEqual(['W1', 'O2', 'W3', 'O4']);
    const pinned = base.map((r) => (r.requestId === 'O4' ? { ...r, pin: { after: null, order: 1 } } : r));
    expect(all(state(quota(), pinned))).toEqual(['O4', 'W1', 'O2', 'W3']);
  });

  it('a pin to a position is a pin after the request then before it', () => {
    const s = state(quota(), [req('P0', { kind: 'point_of_order' }), req('W1'), req('O2'), req('W3'), req('O4')]);
    const r = speakerOrder(s);
    const priority = new Set(['P0']);
    expect(pinForPosition(r, priority, 'O4', 2)).toEqual({ after: null });
    expect(pinForPosition(r, priority, 'O4', 3)).toEqual({ after: 'W1' });
    expect(pinForPosition(r, priority, 'W1', 99)).toEqual({ after: 'O4' });
  });

  it('a pinned speech does not take the quota turn', () => {
    const s = state(quota(), [req('W2'), req('O3')], { history: [spoke('W0'), spoke('W1', { overridden: true })] });
    expect(due(s)).toEqual(['O3', 'W2']);
  });

  it('nextDue skips held entries but takes a pinned one after them', () => {
    const s = state(quota('ask_assembly'), [req('O1'), req('O2'), req('O3', { pin: { after: 'O2', order: 1 } })], {
      history: [spoke('W0')],
    });
    const r = speakerOrder(s);
    expect(r.queue.map((e) => [e.requestId, e.status])).toEqual([
      ['O1', 'due'],
      ['O2', 'held'],
      ['O3', 'due'],
    ]);
    expect(nextDue(r)?.requestId).toBe('O1');
  });
});

// ---------------------------------------------------------------------------
// Properties

const kinds: SpeechKind[] = [
  'contribution',
  'for',
  'against',
  'point_of_order',
  'reply',
  'question',
  'procedural_motion',
];
const arbRequests = fc
  .array(
    fc.record({
      group: fc.constantFrom('woman', 'open', null),
      kind: fc.constantFrom(...kinds, 'contribution', 'contribution', 'contribution'),
      delegate: fc.integer({ min: 0, max: 6 }),
      firstCongress: fc.boolean(),
      category: fc.constantFrom('procedure', 'agenda', null),
    }),
    { maxLength: 14 },
  )
  .map((rs) =>
    rs.map((r, i): WaitingRequest => ({
      requestId: `r${i}`,
      seq: i + 1,
      delegateId: `d${r.delegate}`,
      kind: r.kind,
      quotaGroup: r.group,
      firstCongress: r.firstCongress,
      category: r.kind === 'point_of_order' ? r.category : null,
      motion: false,
      pin: null,
    })),
  );
const arbRules = fc.record({
  quota: fc.option(
    fc.record({
      groups: fc.constant(['woman', 'open']),
      first: fc.constantFrom('woman', 'open'),
      whenEmpty: fc.oneof(
        fc.constantFrom<WhenEmpty>('ask_assembly', 'end_after_next'),
        fc.integer({ min: 1, max: 4 }).map((n): WhenEmpty => ({ openFor: n })),
      ),
    }),
  ),
  firstCongressFirst: fc.boolean(),
  fewestContributionsFirst: fc.boolean(),
  forAgainst: fc.boolean(),
  pointOfOrderCategories: fc.constant(['procedure', 'agenda']),
});

/** Runs the list to its end the way the chair would: start the next due speaker, until nobody is due. */
function runToEnd(
  rules: OrderRules,
  waiting: WaitingRequest[],
): { sequence: WaitingRequest[]; left: WaitingRequest[] } {
  let left = [...waiting];
  const history: StartedSpeech[] = [];
  const sequence: WaitingRequest[] = [];
  for (;;) {
    const entry = nextDue(speakerOrder(state(rules, left, { history })));
    if (!entry) return { sequence, left };
    const r = left.find((x) => x.requestId === entry.requestId)!;
    left = left.filter((x) => x !== r);
    sequence.push(r);
    history.push({ ...r, waived: entry.waived, overridden: entry.pinned });
  }
}

describe('speakerOrder: properties', () => {
  it('every waiting request is in the queue exactly once', () => {
    fc.assert(
      fc.property(arbRules, arbRequests, (rules, waiting) => {
        const ids = speakerOrder(state(rules, waiting)).queue.map((e) => e.requestId);
        expect([...ids].sort()).toEqual(waiting.map((r) => r.requestId).sort());
      }),
    );
  });

  it('no two open-list speeches in a row while a woman is waiting', () => {
    fc.assert(
      fc.property(arbRules, arbRequests, (rules0, waiting) => {
        const rules: OrderRules = {
          ...rules0,
          quota: { groups: ['woman', 'open'], first: 'woman', whenEmpty: 'ask_assembly' },
        };
        const { sequence } = runToEnd(rules, waiting);
        const debate = sequence.filter((r) => ['contribution', 'for', 'against'].includes(r.kind));
        for (let i = 1; i < debate.length; i++) {
          const two = debate[i - 1]!.quotaGroup !== 'woman' && debate[i]!.quotaGroup !== 'woman';
          // The woman must have been waiting when the second of the two started, i.e. she speaks later.
          const womanLater = debate.slice(i + 1).some((r) => r.quotaGroup === 'woman');
          expect(two && womanLater).toBe(false);
        }
      }),
    );
  });

  it('the same holds for any group of the turn: a turn is never skipped while its group waits', () => {
    fc.assert(
      fc.property(arbRules, arbRequests, (rules, waiting) => {
        fc.pre(rules.quota !== null);
        const { sequence } = runToEnd(rules, waiting);
        const g = (r: WaitingRequest) => (r.quotaGroup === 'woman' ? 'woman' : 'open');
        const debate = sequence.filter((r) => ['contribution', 'for', 'against'].includes(r.kind));
        for (let i = 1; i < debate.length; i++) {
          if (g(debate[i - 1]!) !== g(debate[i]!)) continue;
          const other = g(debate[i]!) === 'woman' ? 'open' : 'woman';
          expect(debate.slice(i + 1).some((r) => g(r) === other)).toBe(false);
        }
      }),
    );
  });

  it('points of order and questions always come first', () => {
    fc.assert(
      fc.property(arbRules, arbRequests, (rules, waiting) => {
        const queue = speakerOrder(state(rules, waiting)).queue;
        const byId = new Map(waiting.map((r) => [r.requestId, r]));
        const rank = (k: SpeechKind) => (k === 'question' ? 0 : k === 'point_of_order' ? 1 : 2);
        const ranks = queue.map((e) => rank(byId.get(e.requestId)!.kind));
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        expect(
          queue.filter((e) => byId.get(e.requestId)!.kind === 'point_of_order').every((e) => e.status === 'due'),
        ).toBe(true);
      }),
    );
  });

  it('without a quota every request is due and none is held', () => {
    fc.assert(
      fc.property(arbRules, arbRequests, (rules, waiting) => {
        const r = speakerOrder(state({ ...rules, quota: null }, waiting));
        expect(r.hold).toBeNull();
        expect(r.queue.every((e) => e.status === 'due')).toBe(true);
      }),
    );
  });

  it('first-time speakers come before others of the same turn', () => {
    fc.assert(
      fc.property(arbRules, arbRequests, (rules0, waiting) => {
        const rules = { ...rules0, quota: null, firstCongressFirst: true };
        const queue = speakerOrder(state(rules, waiting)).queue;
        const byId = new Map(waiting.map((r) => [r.requestId, r]));
        const debate = queue
          .map((e) => byId.get(e.requestId)!)
          .filter((r) => ['contribution', 'for', 'against'].includes(r.kind));
        const flags = debate.map((r) => (r.firstCongress ? 0 : 1));
        expect(flags).toEqual([...flags].sort((a, b) => a - b));
      }),
    );
  });

  it('an override never changes the order of the others', () => {
    fc.assert(
      fc.property(arbRules, arbRequests, fc.nat(), fc.nat(), (rules, waiting, pick, position) => {
        const debate = waiting.filter((r) => ['contribution', 'for', 'against'].includes(r.kind));
        fc.pre(debate.length > 0);
        const moved = debate[pick % debate.length]!;
        const before = speakerOrder(state(rules, waiting));
        const priority = new Set(waiting.filter((r) => !debate.includes(r)).map((r) => r.requestId));
        const pin = {
          ...pinForPosition(before, priority, moved.requestId, (position % (waiting.length + 1)) + 1),
          order: 1,
        };
        const after = speakerOrder(
          state(
            rules,
            waiting.map((r) => (r === moved ? { ...r, pin } : r)),
          ),
        );
        const others = (q: typeof before.queue) =>
          q.filter((e) => e.requestId !== moved.requestId).map((e) => e.requestId);
        expect(others(after.queue)).toEqual(others(before.queue));
        const at = after.queue.findIndex((e) => e.requestId === moved.requestId);
        expect(after.queue[at]!.status).toBe('due');
      }),
    );
  });

  it('the order does not depend on the order the requests are given in', () => {
    fc.assert(
      fc.property(arbRules, arbRequests, fc.infiniteStream(fc.nat()), (rules, waiting, rnd) => {
        const shuffled = [...waiting].sort(() => (rnd.next().value % 3) - 1);
        expect(speakerOrder(state(rules, shuffled))).toEqual(speakerOrder(state(rules, waiting)));
      }),
    );
  });

  it('running the list to its end with openFor n speaks at most n without the quota at a time', () => {
    fc.assert(
      fc.property(arbRequests, fc.integer({ min: 1, max: 3 }), (waiting, n) => {
        const rules: OrderRules = { ...quota({ openFor: n }) };
        const { sequence } = runToEnd(rules, waiting);
        const debate = sequence.filter((r) => ['contribution', 'for', 'against'].includes(r.kind));
        // After the last woman, at most n + 1 speeches from the open list (the one whose turn it was, then n).
        const lastWoman = debate.map((r) => r.quotaGroup === 'woman').lastIndexOf(true);
        expect(debate.length - lastWoman - 1).toBeLessThanOrEqual(n + 1);
      }),
    );
  });
});
