/**
 * Every single mutation of a sealed record and of a conference export is rejected by the
 * verifier. Mutations come in two strengths: a careless edit (only the field changes) and a
 * careful forger's (receipts re-hashed, lists re-sorted, the chain re-hashed to the end).
 *
 * Reordering: the Merkle tree is built over the receipts SORTED, so a reordered list still
 * recomputes the same root (the root check passes, asserted below); what rejects it is the
 * separate check that a record lists its leaves in that canonical order.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer } from '../support/auth.js';
import {
  entryContentHash,
  entryHashHex,
  leafHashHex,
  verifyExport,
  verifyRecord,
  type Check,
  type Jwks,
} from '../../scripts/verify-core.js';
import { smallConferenceWithVotes } from './support/engine-votes.js';

// Mutations poke at arbitrary JSON.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
interface Mutation {
  name: string;
  apply(doc: Doc): void;
}

const clone = <T>(x: T): T => structuredClone(x);
const rejects = (checks: Check[]) => checks.some((c) => !c.ok);

let t: TestApp;
let jwks: Jwks;
let rollCallRecord: Doc;
let secretRecord: Doc;
let exportText: string;

beforeAll(async () => {
  t = await createTestApp();
  const { f, rollCall, secret } = await smallConferenceWithVotes(t);
  const auditor = await f.auditorToken();
  jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
  rollCallRecord = (
    await t.app.inject({ url: `/api/v1/votes/${rollCall.voteId}/record`, headers: bearer(auditor) })
  ).json();
  secretRecord = (
    await t.app.inject({ url: `/api/v1/votes/${secret.voteId}/record`, headers: bearer(auditor) })
  ).json();
  exportText = (await t.app.inject({ url: `/api/v1/conferences/${f.conferenceId}/export`, headers: bearer(auditor) }))
    .body;
}, 120_000);

afterAll(async () => {
  await t?.close();
});

function rotate(leaf: Doc): void {
  [leaf.yes, leaf.no, leaf.abstain] = [leaf.abstain, leaf.yes, leaf.no];
}

/** A careful forger re-hashes the leaf and keeps the list in canonical order. */
function rehash(list: Doc[]): void {
  for (const item of list) item.receipt = leafHashHex(item.leaf);
  list.sort((a, b) => (a.receipt < b.receipt ? -1 : 1));
}

function recordMutations(record: Doc): Mutation[] {
  const secret = record.vote.mode === 'secret';
  const listKey = secret ? 'secretLeaves' : 'ballots';
  const n = record[listKey].length;
  const ms: Mutation[] = [];
  for (let i = 0; i < n; i++) {
    const list = (d: Doc) => d[listKey] as Doc[];
    ms.push({ name: `leaf ${i}: choice changed`, apply: (d) => rotate(list(d)[i].leaf) });
    ms.push({
      name: `leaf ${i}: choice changed, receipt re-hashed`,
      apply: (d) => {
        rotate(list(d)[i].leaf);
        rehash(list(d));
      },
    });
    ms.push({ name: `leaf ${i}: receipt replaced`, apply: (d) => (list(d)[i].receipt = 'f'.repeat(64)) });
    ms.push({ name: `leaf ${i}: removed`, apply: (d) => list(d).splice(i, 1) });
    ms.push({
      name: `leaf ${i}: duplicated as a new ballot, re-hashed`,
      apply: (d) => {
        const copy = clone(list(d)[i]);
        if (secret) copy.leaf.choiceId = randomUUID();
        else {
          copy.leaf.ballotId = randomUUID();
          copy.leaf.revision += 10;
        }
        list(d).push(copy);
        rehash(list(d));
      },
    });
    if (i + 1 < n) {
      ms.push({
        name: `leaves ${i} and ${i + 1}: swapped`,
        apply: (d) => {
          const l = list(d);
          [l[i], l[i + 1]] = [l[i + 1], l[i]];
        },
      });
    }
    if (!secret) {
      ms.push({
        name: `ballot ${i}: weight changed, re-hashed`,
        apply: (d) => {
          list(d)[i].leaf.weight += 1;
          rehash(list(d));
        },
      });
      ms.push({
        name: `ballot ${i}: time changed, re-hashed`,
        apply: (d) => {
          const leaf = list(d)[i].leaf;
          leaf.castAt = new Date(Date.parse(leaf.castAt) + 1000).toISOString();
          rehash(list(d));
        },
      });
      ms.push({
        name: `ballot ${i}: time changed`,
        apply: (d) => {
          const leaf = list(d)[i].leaf;
          leaf.castAt = new Date(Date.parse(leaf.castAt) + 1).toISOString();
        },
      });
      ms.push({
        name: `ballot ${i}: superseded flag flipped`,
        apply: (d) => (list(d)[i].superseded = !list(d)[i].superseded),
      });
      ms.push({
        name: `ballot ${i}: moved to another seat, re-hashed`,
        apply: (d) => {
          const other = d.electorate.seats.find((s: Doc) => s.seatId !== list(d)[i].leaf.seatId);
          list(d)[i].leaf.seatId = other.seatId;
          rehash(list(d));
        },
      });
    }
  }
  for (const k of Object.keys(record.totals)) {
    ms.push({ name: `total ${k} changed in the record`, apply: (d) => (d.totals[k] += 1) });
    ms.push({ name: `total ${k} changed in the signed entry`, apply: (d) => (d.closedEvent.data.totals[k] += 1) });
    ms.push({
      name: `total ${k} changed in both`,
      apply: (d) => {
        d.totals[k] += 1;
        d.closedEvent.data.totals[k] += 1;
      },
    });
  }
  for (const [j, row] of (record.byDelegation as Doc[]).entries()) {
    for (const k of ['yes', 'no', 'abstain', 'notVoting', 'entitled', 'voters']) {
      if (typeof row[k] === 'number')
        ms.push({ name: `delegation ${j} ${k} changed`, apply: (d) => (d.byDelegation[j][k] += 1) });
    }
  }
  const flip = (o: string) => (o === 'adopted' ? 'rejected' : 'adopted');
  ms.push({ name: 'outcome changed in the record', apply: (d) => (d.result.outcome = flip(d.result.outcome)) });
  ms.push({
    name: 'outcome changed in the signed entry',
    apply: (d) => (d.closedEvent.data.result.outcome = flip(d.closedEvent.data.result.outcome)),
  });
  ms.push({ name: 'required yes changed', apply: (d) => (d.result.required += 1) });
  ms.push({ name: 'majority rule changed', apply: (d) => (d.vote.majority = { rule: 'two_thirds', base: 'cast' }) });
  ms.push({ name: 'vote title changed', apply: (d) => (d.vote.title += '!') });
  ms.push({ name: 'question changed', apply: (d) => (d.vote.question += '!') });
  // Issue 20, S5: a reworded question with its hash recomputed passed every check while the
  // question's hash was not signed.
  ms.push({
    name: 'question reworded, questionSha256 re-hashed',
    apply: (d) => {
      d.vote.question = 'Shall the conference adopt the opposite?';
      d.vote.questionSha256 = createHash('sha256').update(d.vote.question, 'utf8').digest('hex');
    },
  });
  ms.push({ name: 'conference changed', apply: (d) => (d.vote.conferenceId = randomUUID()) });
  ms.push({
    name: 'results visibility changed',
    apply: (d) => (d.vote.resultsVisibility = d.vote.resultsVisibility === 'live' ? 'after_close' : 'live'),
  });
  // Issue 20, S6: the signed entry moved to another place of the chain, its hashes recomputed.
  ms.push({
    name: 'entry moved to another chain position, re-hashed',
    apply: (d) => {
      const e = d.closedEvent;
      e.seq += 5;
      e.prevHash = 'c'.repeat(64);
      e.contentHash = entryContentHash(e);
      e.hash = entryHashHex(e.prevHash, e.contentHash);
      d.chain = { seq: e.seq, prevHash: e.prevHash, contentHash: e.contentHash, hash: e.hash };
    },
  });
  ms.push({ name: 'closing time changed', apply: (d) => (d.vote.closedAt = new Date().toISOString()) });
  ms.push({ name: 'Merkle root changed', apply: (d) => (d.merkleRoot = 'a'.repeat(64)) });
  ms.push({ name: 'entry data: root changed', apply: (d) => (d.closedEvent.data.merkleRoot = 'a'.repeat(64)) });
  ms.push({ name: 'entry time changed', apply: (d) => (d.closedEvent.at = new Date(0).toISOString()) });
  ms.push({ name: 'entry actor changed', apply: (d) => (d.closedEvent.actor = randomUUID()) });
  ms.push({ name: 'chain position changed', apply: (d) => (d.chain.seq += 1) });
  ms.push({
    name: 'entry re-hashed after an edit of its data',
    apply: (d) => {
      const e = d.closedEvent;
      e.data.totals.yes += 1;
      d.totals.yes += 1;
      e.contentHash = entryContentHash(e);
      e.hash = entryHashHex(e.prevHash, e.contentHash);
      d.chain = { seq: e.seq, prevHash: e.prevHash, contentHash: e.contentHash, hash: e.hash };
    },
  });
  ms.push({
    name: 'signature replaced by another',
    apply: (d) => {
      const jws: string = d.closedEvent.data.signature.jws;
      const bad = jws.slice(0, -2) + (jws.endsWith('AA') ? 'BA' : 'AA');
      d.closedEvent.data.signature.jws = bad;
    },
  });
  for (const [j] of (record.electorate.seats as Doc[]).entries()) {
    ms.push({ name: `seat ${j}: weight changed`, apply: (d) => (d.electorate.seats[j].weight += 1) });
    ms.push({
      name: `seat ${j}: presence flipped`,
      apply: (d) => (d.electorate.seats[j].present = !d.electorate.seats[j].present),
    });
    ms.push({ name: `seat ${j}: removed`, apply: (d) => d.electorate.seats.splice(j, 1) });
  }
  if (secret) {
    for (const [j] of (record.participation as Doc[]).entries()) {
      ms.push({ name: `participant ${j}: removed`, apply: (d) => d.participation.splice(j, 1) });
      ms.push({ name: `participant ${j}: duplicated`, apply: (d) => d.participation.push(clone(d.participation[j])) });
      ms.push({
        name: `participant ${j}: castVia changed`,
        apply: (d) => (d.participation[j].castVia = d.participation[j].castVia === 'paper' ? 'self' : 'paper'),
      });
      // A seat of the same delegation that did not take part: only the signed hash of the list shows it.
      ms.push({
        name: `participant ${j}: moved to a non-voting seat of the same delegation`,
        apply: (d) => {
          const p = d.participation[j];
          const took = new Set((d.participation as Doc[]).map((x) => x.seatId));
          const other = (d.electorate.seats as Doc[]).find(
            (s) => s.delegationId === p.delegationId && !took.has(s.seatId),
          );
          if (!other) {
            p.castVia = p.castVia === 'paper' ? 'self' : 'paper';
            return;
          }
          p.seatId = other.seatId;
          p.delegateId = other.delegateId;
          d.participation.sort((a: Doc, b: Doc) => (a.seatId < b.seatId ? -1 : 1));
        },
      });
    }
  }
  return ms;
}

function runAll(ms: Mutation[], base: Doc, check: (doc: Doc) => Promise<Check[]>) {
  return (async () => {
    const accepted: string[] = [];
    for (const m of ms) {
      const doc = clone(base);
      m.apply(doc);
      if (!rejects(await check(doc))) accepted.push(m.name);
    }
    return accepted;
  })();
}

describe('mutations of a sealed record', () => {
  it('the untouched records verify', async () => {
    expect((await verifyRecord(rollCallRecord, jwks)).filter((c) => !c.ok)).toEqual([]);
    expect((await verifyRecord(secretRecord, jwks)).filter((c) => !c.ok)).toEqual([]);
  });

  it('reordered leaves recompute the same root; only the canonical-order check rejects them', async () => {
    const doc = clone(rollCallRecord);
    [doc.ballots[0], doc.ballots[1]] = [doc.ballots[1], doc.ballots[0]];
    const checks = await verifyRecord(doc, jwks);
    const failedNames = checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failedNames).toEqual(['leaves are listed in the canonical order (receipt ascending)']);
    expect(checks.find((c) => c.name.startsWith('Merkle root'))).toMatchObject({
      ok: true,
      detail: rollCallRecord.merkleRoot,
    });
  });

  for (const which of ['roll call', 'secret'] as const) {
    it(`every single mutation of the ${which} record is rejected`, async () => {
      const base = which === 'roll call' ? rollCallRecord : secretRecord;
      const ms = recordMutations(base);
      const accepted = await runAll(ms, base, (d) => verifyRecord(d, jwks));
      console.log(`[mutations] ${which} record: ${ms.length - accepted.length}/${ms.length} rejected`);
      expect(accepted).toEqual([]);
      expect(ms.length).toBeGreaterThan(50);
    });
  }
});

describe('mutations of a conference export', () => {
  const parse = (text: string): Doc[] =>
    text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  const serialize = (lines: Doc[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

  function exportMutations(lines: Doc[]): Mutation[] {
    const ms: Mutation[] = [];
    const eventIdx = lines.flatMap((l, i) => (l.type === 'event' ? [i] : []));
    const recordIdx = lines.flatMap((l, i) => (l.type === 'record' ? [i] : []));
    for (const [k, i] of eventIdx.entries()) {
      ms.push({
        name: `event ${k + 1}: data edited`,
        apply: (d) => (d[i].entry.data = { ...d[i].entry.data, edited: true }),
      });
      ms.push({ name: `event ${k + 1}: type edited`, apply: (d) => (d[i].entry.type += '.x') });
      ms.push({ name: `event ${k + 1}: time edited`, apply: (d) => (d[i].entry.at = new Date(0).toISOString()) });
      ms.push({ name: `event ${k + 1}: removed`, apply: (d) => d.splice(i, 1) });
      if (k + 1 < eventIdx.length) {
        ms.push({
          name: `events ${k + 1} and ${k + 2}: swapped`,
          apply: (d) => ([d[i], d[i + 1]] = [d[i + 1], d[i]]),
        });
      }
      ms.push({
        name: `event ${k + 1}: data edited, chain re-hashed to the end and the head updated`,
        apply: (d) => {
          d[i].entry.data = { ...d[i].entry.data, edited: true };
          let prev = d[i].entry.prevHash;
          for (const j of eventIdx.slice(k)) {
            const e = d[j].entry;
            e.prevHash = prev;
            e.contentHash = entryContentHash(e);
            e.hash = entryHashHex(prev, e.contentHash);
            prev = e.hash;
          }
          d[0].head.hash = prev;
          for (const r of recordIdx) {
            const ev = d[r].record.closedEvent;
            const inChain = d[eventIdx[ev.seq - 1]!].entry;
            d[r].record.closedEvent = clone(inChain);
            d[r].record.chain = {
              seq: inChain.seq,
              prevHash: inChain.prevHash,
              contentHash: inChain.contentHash,
              hash: inChain.hash,
            };
          }
        },
      });
    }
    for (const i of recordIdx) {
      for (const m of recordMutations(lines[i].record))
        ms.push({ name: `record line ${i}: ${m.name}`, apply: (d) => m.apply(d[i].record) });
      ms.push({ name: `record line ${i}: removed`, apply: (d) => d.splice(i, 1) });
    }
    ms.push({ name: 'last event removed', apply: (d) => d.splice(eventIdx[eventIdx.length - 1]!, 1) });
    ms.push({ name: 'header head moved back', apply: (d) => (d[0].head.seq -= 1) });
    ms.push({ name: 'end line removed', apply: (d) => d.pop() });
    return ms;
  }

  it('the untouched export verifies', async () => {
    const { checks } = await verifyExport(exportText, jwks);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('every single mutation of the export is rejected', async () => {
    const lines = parse(exportText);
    const ms = exportMutations(lines);
    const accepted = await runAll(ms, lines, async (d) => (await verifyExport(serialize(d), jwks)).checks);
    const events = lines.filter((l) => l.type === 'event').length;
    console.log(
      `[mutations] conference export (${events} events, 2 records): ${ms.length - accepted.length}/${ms.length} rejected`,
    );
    expect(accepted).toEqual([]);
  });
});
