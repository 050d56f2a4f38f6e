/**
 * Dependency-free parser for the European Parliament "Result of roll-call votes"
 * XML annexes shipped in tests/fixtures/ep-roll-call (see tests/fixtures/README.md).
 *
 * Structure of a file (only the parts we read):
 *
 *   <PV.RollCallVoteResults Sitting.Date="2024-09-18" ...>
 *     <RollCallVote.Result Identifier="169418" DlvId="959805" Date="2024-09-18 12:18:27">
 *       <RollCallVote.Description.Text>B10-0020/2024 &#8211; Motion for a resolution</...>
 *       <Result.For Number="516">
 *         <Result.PoliticalGroup.List Identifier="ECR">
 *           <PoliticalGroup.Member.Name MepId="7511" PersId="256956">Alexandraki</...>
 *         </Result.PoliticalGroup.List> ...
 *       </Result.For>
 *       <Result.Against Number="..."> ... </Result.Against>
 *       <Result.Abstention Number="..."> ... </Result.Abstention>
 *       <Intentions Code="100">            <!-- corrections / voting intentions -->
 *         <Intentions.Result.For><Member.Name MepId=".." PersId="..">Camara</Member.Name></...>
 *         <Intentions.Result.Against>...</...> <Intentions.Result.Abstention>...</...>
 *       </Intentions>
 *     </RollCallVote.Result> ...
 *     <VoteTitles><VoteTitle DlvId="959805">Objection pursuant to Rule 115 ...</VoteTitle></VoteTitles>
 *   </PV.RollCallVoteResults>
 *
 * Corrections/intentions are published for information only and do NOT alter the
 * official result, so they are reported separately and never folded into `votes`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type EpChoice = 'yes' | 'no' | 'abstain';

export interface EpMember {
  mepId: string;
  persId: string | null;
  name: string;
  /** Political group id as written in the file, entities decoded (e.g. 'S&D'). */
  group: string;
}

/** A correction/intention by someone who appears in no vote of the file (no group known). */
export interface EpUnknownMember {
  name: string;
  mepId?: string;
  persId?: string | null;
}

export interface EpVote {
  /** RollCallVote.Result@Identifier, e.g. '169418'. */
  identifier: string;
  /** RollCallVote.Result@Date as written, e.g. '2024-09-18 12:18:27'. */
  date: string;
  /** RollCallVote.Description.Text, entities decoded, whitespace collapsed. */
  description: string;
  official: { for: number; against: number; abstention: number };
  votes: { member: EpMember; choice: EpChoice }[];
  corrections: { member: EpMember | EpUnknownMember; intended: EpChoice }[];
  /** RollCallVote.Result@DlvId, if present (several votes can share one). */
  dlvId?: string;
  /** The matching VoteTitles/VoteTitle (by DlvId), if present. */
  title?: string;
}

export interface EpRollCall {
  /** Root Sitting.Date attribute, e.g. '2024-09-18'. */
  sittingDate: string;
  votes: EpVote[];
  /** Every distinct member appearing in any vote of the file (by mepId, first name/group seen). */
  members: EpMember[];
  /** Distinct political group ids in first-appearance order. */
  groups: string[];
}

export type EpRollCallFile = 'rcv_list_pv-10-2024-09-18-rcv-en.xml' | 'rcv_list_pv-10-2025-03-11-rcv-en.xml';

export const EP_ROLL_CALL_FILES: readonly EpRollCallFile[] = [
  'rcv_list_pv-10-2024-09-18-rcv-en.xml',
  'rcv_list_pv-10-2025-03-11-rcv-en.xml',
];

// ---------------------------------------------------------------------------
// Minimal XML reader (elements, attributes, text; enough for these files)
// ---------------------------------------------------------------------------

interface XmlElement {
  name: string;
  attrs: Map<string, string>;
  children: XmlNode[];
}
type XmlNode = XmlElement | string;

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

export function decodeXmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);/g, (whole, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#X')) return safeFromCodePoint(parseInt(ref.slice(2), 16), whole);
    if (ref.startsWith('#')) return safeFromCodePoint(parseInt(ref.slice(1), 10), whole);
    return NAMED_ENTITIES[ref] ?? whole;
  });
}

function safeFromCodePoint(cp: number, fallback: string): string {
  return Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : fallback;
}

const TOKEN_RE =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
const ATTR_RE = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function parseXml(xml: string): XmlElement {
  const doc: XmlElement = { name: '#document', attrs: new Map(), children: [] };
  const stack: XmlElement[] = [doc];
  let last = 0;
  const top = (): XmlElement => stack[stack.length - 1] ?? doc;
  const pushText = (raw: string): void => {
    if (raw.length === 0) return;
    if (raw.includes('<')) throw new Error(`ep-roll-call: unparseable markup near ${JSON.stringify(raw.slice(0, 80))}`);
    top().children.push(decodeXmlEntities(raw));
  };
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(xml); m !== null; m = TOKEN_RE.exec(xml)) {
    pushText(xml.slice(last, m.index));
    last = TOKEN_RE.lastIndex;
    const [, cdata, slash, name, attrText, selfClose] = m;
    if (cdata !== undefined) {
      top().children.push(cdata);
      continue;
    }
    if (name === undefined) continue; // comment, PI, doctype
    if (slash === '/') {
      const open = stack.pop();
      if (!open || open === doc || open.name !== name) {
        throw new Error(`ep-roll-call: unexpected </${name}> (open: <${open?.name ?? 'none'}>) at offset ${m.index}`);
      }
      continue;
    }
    const attrs = new Map<string, string>();
    ATTR_RE.lastIndex = 0;
    for (let a = ATTR_RE.exec(attrText ?? ''); a !== null; a = ATTR_RE.exec(attrText ?? '')) {
      attrs.set(a[1] ?? '', decodeXmlEntities(a[2] ?? a[3] ?? ''));
    }
    const el: XmlElement = { name, attrs, children: [] };
    top().children.push(el);
    if (selfClose !== '/') stack.push(el);
  }
  pushText(xml.slice(last).trim());
  if (stack.length !== 1) {
    throw new Error(`ep-roll-call: unclosed element <${top().name}>`);
  }
  return doc;
}

function childElements(el: XmlElement, name?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) if (typeof c !== 'string' && (name === undefined || c.name === name)) out.push(c);
  return out;
}

function descendants(el: XmlElement, name: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    if (c.name === name) out.push(c);
    else descendants(c, name, out);
  }
  return out;
}

function textContent(el: XmlElement): string {
  let s = '';
  for (const c of el.children) {
    if (typeof c === 'string') s += c;
    else if (c.name === 'text:line-break') s += ' ';
    else s += textContent(c);
  }
  return s;
}

const clean = (s: string): string => s.replace(/\s+/g, ' ').trim();

function requireAttr(el: XmlElement, attr: string): string {
  const v = el.attrs.get(attr);
  if (v === undefined || v.trim() === '') throw new Error(`ep-roll-call: <${el.name}> without ${attr}`);
  return v.trim();
}

// ---------------------------------------------------------------------------
// Roll-call parser
// ---------------------------------------------------------------------------

const RESULT_SECTIONS: readonly [string, EpChoice][] = [
  ['Result.For', 'yes'],
  ['Result.Against', 'no'],
  ['Result.Abstention', 'abstain'],
];
const INTENTION_SECTIONS: ReadonlyMap<string, EpChoice> = new Map<string, EpChoice>([
  ['Intentions.Result.For', 'yes'],
  ['Intentions.Result.Against', 'no'],
  ['Intentions.Result.Abstention', 'abstain'],
]);

export function parseEpRollCall(xml: string): EpRollCall {
  const doc = parseXml(xml.replace(/^\uFEFF/, ''));
  const root = childElements(doc)[0];
  if (!root || root.name !== 'PV.RollCallVoteResults') {
    throw new Error(`ep-roll-call: root element is <${root?.name ?? 'none'}>, expected <PV.RollCallVoteResults>`);
  }
  const sittingDate = root.attrs.get('Sitting.Date')?.trim() ?? '';

  const titles = new Map<string, string>();
  for (const t of descendants(root, 'VoteTitle')) {
    const dlv = t.attrs.get('DlvId');
    if (dlv !== undefined && !titles.has(dlv)) titles.set(dlv, clean(textContent(t)));
  }

  const registry = new Map<string, EpMember>();
  const groups: string[] = [];
  const groupSeen = new Set<string>();
  const votes: EpVote[] = [];
  const pendingCorrections: {
    vote: EpVote;
    el: XmlElement;
    intended: EpChoice;
  }[] = [];

  for (const v of descendants(root, 'RollCallVote.Result')) {
    const identifier = requireAttr(v, 'Identifier');
    const descEl = childElements(v, 'RollCallVote.Description.Text')[0];
    const vote: EpVote = {
      identifier,
      date: v.attrs.get('Date')?.trim() ?? '',
      description: descEl ? clean(textContent(descEl)) : '',
      official: { for: 0, against: 0, abstention: 0 },
      votes: [],
      corrections: [],
    };
    const dlvId = v.attrs.get('DlvId')?.trim();
    if (dlvId) {
      vote.dlvId = dlvId;
      const title = titles.get(dlvId);
      if (title !== undefined) vote.title = title;
    }

    for (const [section, choice] of RESULT_SECTIONS) {
      const secs = childElements(v, section);
      if (secs.length > 1) throw new Error(`ep-roll-call: vote ${identifier} has ${secs.length} <${section}>`);
      const sec = secs[0];
      if (!sec) continue; // absent section = nobody voted that way
      const numText = requireAttr(sec, 'Number');
      if (!/^\d+$/.test(numText)) throw new Error(`ep-roll-call: vote ${identifier} <${section}> Number="${numText}"`);
      const n = Number(numText);
      if (choice === 'yes') vote.official.for = n;
      else if (choice === 'no') vote.official.against = n;
      else vote.official.abstention = n;

      for (const list of childElements(sec, 'Result.PoliticalGroup.List')) {
        const group = requireAttr(list, 'Identifier');
        if (!groupSeen.has(group)) {
          groupSeen.add(group);
          groups.push(group);
        }
        for (const m of childElements(list, 'PoliticalGroup.Member.Name')) {
          const mepId = requireAttr(m, 'MepId');
          let member = registry.get(mepId);
          if (!member) {
            member = {
              mepId,
              persId: m.attrs.get('PersId')?.trim() || null,
              name: clean(textContent(m)),
              group,
            };
            registry.set(mepId, member);
          } else if (member.group !== group) {
            // Changed group between votes of the sitting: keep the first as canonical,
            // but record this vote under the group it was actually cast in.
            member = { ...member, group };
          }
          vote.votes.push({ member, choice });
        }
      }
    }

    for (const intentions of childElements(v, 'Intentions')) {
      // document order; unknown sections are ignored
      for (const sec of childElements(intentions)) {
        const intended = INTENTION_SECTIONS.get(sec.name);
        if (intended === undefined) continue;
        for (const el of childElements(sec, 'Member.Name')) pendingCorrections.push({ vote, el, intended });
      }
    }
    votes.push(vote);
  }

  // Resolve corrections once every vote has been read, so a member who only
  // appears in a later vote is still recognised.
  for (const { vote, el, intended } of pendingCorrections) {
    const mepId = el.attrs.get('MepId')?.trim();
    const known = mepId ? registry.get(mepId) : undefined;
    if (known) {
      vote.corrections.push({ member: known, intended });
    } else {
      const member: EpUnknownMember = { name: clean(textContent(el)) };
      if (mepId) {
        member.mepId = mepId;
        member.persId = el.attrs.get('PersId')?.trim() || null;
      }
      vote.corrections.push({ member, intended });
    }
  }

  return { sittingDate, votes, members: [...registry.values()], groups };
}

// ---------------------------------------------------------------------------
// Loading from the fixtures folder
// ---------------------------------------------------------------------------

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/ep-roll-call');

export function resolveEpRollCallPath(file: EpRollCallFile): string {
  return path.join(fixtures, file);
}

export function loadEpRollCall(file: EpRollCallFile): EpRollCall {
  return parseEpRollCall(readFileSync(resolveEpRollCallPath(file), 'utf8'));
}
