/**
 * Splits a resolution pasted as plain text or Markdown (typically copied out of
 * a PDF) into its numbered clauses.
 *
 * A clause is a body paragraph. Everything else the paste drags along (the
 * letterhead, the party's web address, "DRAFT 03 July 2019", the venue line,
 * Markdown headings, front matter) is kept apart in `preamble` so the chair can
 * see nothing was lost, and the resolution's own name is returned as `title`.
 *
 * PDF text extraction puts page breaks in the middle of sentences, which shows
 * up as blank lines (or a form feed, or a page number) inside a paragraph. A
 * paragraph that stops without sentence-ending punctuation is therefore joined
 * with the next one when that one reads as the rest of the sentence (starts
 * with a lowercase word), skipping over page numbers and running headers that
 * sit between the two halves.
 *
 * Pure: the caller decides what an empty result means (the resolutions service
 * refuses a text without clauses).
 */

export interface SplitResult {
  title: string | null;
  preamble: string[];
  clauses: string[];
}

type BlockKind = 'heading' | 'paragraph' | 'item';

interface Block {
  kind: BlockKind;
  text: string;
}

/** Letterhead, dates and venue lines are short; a body paragraph that merely lost its final full stop is not. */
const MAX_UNPUNCTUATED_NON_CLAUSE = 100;
/** Page numbers and running headers are one short line; more than a few in a row is no longer a page break. */
const MAX_ARTEFACT_LENGTH = 60;
const MAX_ARTEFACTS_BETWEEN_HALVES = 3;
/** A resolution's name, not a sentence that happens to start with "Resolution:". */
const MAX_TITLE_LENGTH = 200;

// Sentence-ending punctuation, optionally followed by a closing quote, bracket
// or the end of Markdown emphasis ("...where we will go together.**").
const SENTENCE_END = /[.!?:;…]["'”’»)\]*_]*$/u;
const HEADING = /^#{1,6}(?:\s|$)/u;
const THEMATIC_BREAK = /^([-*_])(?:\s*\1){2,}$/u;
const SETEXT_UNDERLINE = /^(?:=+|-+)$/u;
const LIST_ITEM = /^(?:\d{1,3}[.)]|[-*+•])\s+(\S.*)$/u;
// "Resolution: X", also with the label alone in bold ("**Resolution:** X").
const RESOLUTION_LINE = /^(?:\*\*|__)?Resolution:(?:\*\*|__)?\s*(.+)$/iu;
const FRONT_MATTER_FENCE = /^---\s*$/u;
const FRONT_MATTER_END = /^(?:---|\.\.\.)\s*$/u;
const FRONT_MATTER_TITLE = /^title:\s*(.+)$/iu;
// A continuation starts with a lowercase word followed by a space or clause
// punctuation; "www.progressive-alliance.info" does not, so a letterhead line
// never swallows the address below it.
const CONTINUATION = /^\p{Ll}[\p{L}\p{M}'’-]*(?:[\s,;:]|$)/u;
const HYPHENATED_END = /\p{L}-$/u;
const STARTS_LOWERCASE = /^\p{Ll}/u;
// A sentence that goes on: a lead-in ("... to:") or an item of a running list ("...;", "...,", "... and").
const LEAD_IN_END = /(?:[:;,]|\s(?:and|or))["'”’»)\]*_]*$/u;

export function splitIntoClauses(text: string): SplitResult {
  const lines = normalizeLineBreaks(text).split('\n');
  const { frontMatterTitle, frontMatter, bodyStart } = readFrontMatter(lines);
  const blocks = joinListsToLeadIn(joinPageBreaks(readBlocks(lines.slice(bodyStart))));

  const clauses: string[] = [];
  const preamble: Array<{ text: string; titleFrom?: 'resolution_line' | 'heading' }> = frontMatter.map((t) => ({
    text: t,
  }));

  for (const block of blocks) {
    const beforeFirstClause = clauses.length === 0;
    switch (block.kind) {
      case 'heading':
        preamble.push(beforeFirstClause ? { text: block.text, titleFrom: 'heading' } : { text: block.text });
        break;
      case 'item':
        clauses.push(block.text);
        break;
      case 'paragraph': {
        const resolution = RESOLUTION_LINE.exec(stripEmphasis(block.text));
        if (beforeFirstClause && resolution && block.text.length <= MAX_TITLE_LENGTH) {
          preamble.push({ text: block.text, titleFrom: 'resolution_line' });
        } else if (isClause(block.text)) {
          clauses.push(block.text);
        } else {
          preamble.push({ text: block.text });
        }
        break;
      }
    }
  }

  // Front matter is the author's own metadata. After it, an explicit
  // "Resolution: ..." line names the resolution more surely than a heading,
  // which in a pasted PDF is as likely to be the party's letterhead.
  const titleEntry =
    frontMatterTitle === null
      ? (preamble.find((p) => p.titleFrom === 'resolution_line') ?? preamble.find((p) => p.titleFrom === 'heading'))
      : undefined;
  const title = titleEntry ? titleText(titleEntry.text) : frontMatterTitle;

  return {
    title: title === '' ? null : title,
    preamble: preamble.filter((p) => p !== titleEntry).map((p) => p.text),
    clauses,
  };
}

function normalizeLineBreaks(text: string): string {
  return (
    text
      .replace(/^\uFEFF/u, '')
      // Soft hyphens and zero-width spaces are invisible in the PDF but would end up inside words.
      .replace(/[\u00AD\u200B]/gu, '')
      .replace(/\r\n?/gu, '\n')
      // pdftotext and friends mark a page break with a form feed.
      .replace(/\f/gu, '\n\n')
  );
}

function readFrontMatter(lines: string[]): {
  frontMatterTitle: string | null;
  frontMatter: string[];
  bodyStart: number;
} {
  const none = { frontMatterTitle: null, frontMatter: [], bodyStart: 0 };
  if (lines.length === 0 || !FRONT_MATTER_FENCE.test(lines[0] ?? '')) return none;
  const end = lines.findIndex((l, i) => i > 0 && FRONT_MATTER_END.test(l));
  if (end === -1) return none;

  let frontMatterTitle: string | null = null;
  const frontMatter: string[] = [];
  for (const line of lines.slice(1, end)) {
    const trimmed = collapseWhitespace(line);
    if (trimmed === '') continue;
    const m = FRONT_MATTER_TITLE.exec(trimmed);
    if (m && frontMatterTitle === null) {
      frontMatterTitle = (m[1] ?? '').replace(/^(["'])(.*)\1$/u, '$2').trim();
    } else {
      frontMatter.push(trimmed);
    }
  }
  return { frontMatterTitle, frontMatter, bodyStart: end + 1 };
}

/** Blank lines end a paragraph; headings and list items are blocks of their own even without blank lines around them. */
function readBlocks(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let current: { kind: 'paragraph' | 'item'; parts: string[] } | null = null;

  const flush = (): void => {
    if (current) {
      const text = collapseWhitespace(current.parts.join(' '));
      if (text !== '') blocks.push({ kind: current.kind, text });
    }
    current = null;
  };

  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') {
      flush();
    } else if (HEADING.test(line)) {
      flush();
      const text = collapseWhitespace(line.replace(/^#{1,6}/u, '').replace(/\s#+$/u, ''));
      if (text !== '') blocks.push({ kind: 'heading', text });
    } else if (current !== null && SETEXT_UNDERLINE.test(line) && current.kind === 'paragraph') {
      const text = collapseWhitespace(current.parts.join(' '));
      current = null;
      if (text !== '') blocks.push({ kind: 'heading', text });
    } else if (THEMATIC_BREAK.test(line)) {
      // A rule carries no text; it is layout, not content.
      flush();
    } else {
      const item = LIST_ITEM.exec(line);
      if (item) {
        flush();
        current = { kind: 'item', parts: [item[1] ?? ''] };
      } else if (current) {
        current.parts.push(line);
      } else {
        current = { kind: 'paragraph', parts: [line] };
      }
    }
  }
  flush();
  return blocks;
}

/**
 * Linear in the length of the text: a paragraph split over many page breaks grows by one
 * fragment per step, so nothing may look at the whole of it again at each step (that was
 * quadratic: 56 KB of short fragments held the event loop for 24 s). Whether the joined
 * text ends a sentence depends only on its last fragment, and whether it reads as prose
 * only on word counts, which add up.
 */
function joinPageBreaks(blocks: Block[]): Block[] {
  const out: Block[] = [];
  let i = 0;
  while (i < blocks.length) {
    const block = blocks[i];
    if (block === undefined) break;
    if (block.kind === 'heading') {
      out.push(block);
      i += 1;
      continue;
    }

    const parts = [block.text];
    let tail = block.text;
    // Counted only for a block that does not end its sentence (most do).
    let words: WordCounts | undefined;
    const skippedArtefacts: Block[] = [];
    while (!endsSentence(tail) && isProse((words ??= wordCounts(block.text)))) {
      let j = i + 1;
      const between: Block[] = [];
      let next = blocks[j];
      while (next && !isContinuation(next) && between.length < MAX_ARTEFACTS_BETWEEN_HALVES && isPageArtefact(next)) {
        between.push(next);
        j += 1;
        next = blocks[j];
      }
      if (!next || !isContinuation(next)) break;
      const hyphenated = HYPHENATED_END.test(tail);
      const nextWords = wordCounts(next.text);
      // A hyphenated join glues the first word of the continuation (lowercase, as every
      // continuation starts) onto the last word of the head: one word less, one lowercase less.
      words = {
        total: words.total + nextWords.total - (hyphenated ? 1 : 0),
        lowercase: words.lowercase + nextWords.lowercase - (hyphenated ? 1 : 0),
      };
      parts.push(hyphenated ? next.text : ` ${next.text}`);
      tail = next.text;
      skippedArtefacts.push(...between);
      i = j;
    }
    // Page numbers and running headers that sat inside the sentence keep their
    // place just before it, where they are classified like any other line.
    out.push(...skippedArtefacts, { kind: block.kind, text: parts.join('') });
    i += 1;
  }
  return out;
}

/**
 * "The conference calls on member parties to:" followed by "- campaign for ...;" items
 * is one operative paragraph: a list item that starts in lowercase continues the
 * sentence of the block before it (a lead-in ending with a colon, or the previous item
 * ending with a semicolon or comma), so it joins that clause instead of becoming a
 * clause that starts mid-sentence. Items that start a sentence of their own stay apart.
 */
function joinListsToLeadIn(blocks: Block[]): Block[] {
  const out: Block[] = [];
  // The pieces of the block being built; whether it ends as a lead-in depends only on its
  // last piece (" " + item), so a long run of items is not re-scanned at every item.
  let pieces: string[] = [];
  let lastPiece = '';
  const flush = () => {
    const previous = out.at(-1);
    if (previous && pieces.length > 1) out[out.length - 1] = { kind: previous.kind, text: pieces.join('') };
  };
  for (const block of blocks) {
    const previous = out.at(-1);
    if (
      block.kind === 'item' &&
      STARTS_LOWERCASE.test(block.text) &&
      previous !== undefined &&
      previous.kind !== 'heading' &&
      LEAD_IN_END.test(lastPiece)
    ) {
      lastPiece = ` ${block.text}`;
      pieces.push(lastPiece);
    } else {
      flush();
      out.push(block);
      pieces = [block.text];
      lastPiece = block.text;
    }
  }
  flush();
  return out;
}

function isContinuation(block: Block): boolean {
  return block.kind === 'paragraph' && CONTINUATION.test(block.text);
}

function isPageArtefact(block: Block): boolean {
  return block.kind === 'paragraph' && block.text.length <= MAX_ARTEFACT_LENGTH && !endsSentence(block.text);
}

function isClause(text: string): boolean {
  if (endsSentence(text)) return true;
  return text.length > MAX_UNPUNCTUATED_NON_CLAUSE && looksLikeProse(text);
}

function endsSentence(text: string): boolean {
  return SENTENCE_END.test(text);
}

/**
 * Running text is mostly lowercase words; letterheads, dates and title lines
 * ("Resolution: Social Cohesion and Progress") are mostly capitalised.
 */
function looksLikeProse(text: string): boolean {
  return isProse(wordCounts(text));
}

interface WordCounts {
  total: number;
  lowercase: number;
}

/** A word is what lies between spaces and holds a letter; it is lowercase when its first letter is. */
const FIRST_LETTER = /^[^\p{L}]*(\p{L})/u;
const LOWERCASE = /^\p{Ll}$/u;

function wordCounts(text: string): WordCounts {
  let total = 0;
  let lowercase = 0;
  for (const w of text.split(' ')) {
    const letter = FIRST_LETTER.exec(w)?.[1];
    if (letter === undefined) continue;
    total += 1;
    if (LOWERCASE.test(letter)) lowercase += 1;
  }
  return { total, lowercase };
}

function isProse({ total, lowercase }: WordCounts): boolean {
  return total >= 3 && lowercase * 2 > total;
}

function titleText(text: string): string {
  const plain = stripEmphasis(text);
  const resolution = RESOLUTION_LINE.exec(plain);
  return stripEmphasis(collapseWhitespace(resolution ? (resolution[1] ?? '') : plain));
}

function stripEmphasis(text: string): string {
  const m = /^(\*\*|__|\*|_)(.+)\1$/u.exec(text);
  return m ? (m[2] ?? '').trim() : text;
}

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}
