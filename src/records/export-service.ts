/**
 * The whole conference as JSON lines, produced lazily so that memory stays at one page of
 * events or one vote's record whatever the size of the conference. The chain is cut at the
 * head read first: events appended while the export streams belong to the next export.
 */
import type { KeyRing } from '../auth/keys.js';
import type { DbOrTx } from '../db/client.js';
import type { ConferenceRow } from '../conferences/conference-access.js';
import { closedVoteIds, loadEvents } from './record-repository.js';
import { buildRecord, loadVote } from './record-service.js';
import { signRecord } from '../audit/signing.js';

export const EXPORT_FORMAT = 'plenary-export/1';
const PAGE = 1000;

export async function* exportConference(
  db: DbOrTx,
  c: ConferenceRow,
  opts: { keys: KeyRing; exportedAt: Date },
): AsyncGenerator<string> {
  const headSeq = Number(c.eventSeq);
  const head = { seq: headSeq, hash: c.eventHead };
  const exportedAt = opts.exportedAt.toISOString();
  // The signed head anchors the chain: without it, whoever holds the export could rewrite
  // every entry after some point and re-hash to the end, and the chain alone would not show it.
  const headSignature = await signRecord(opts.keys, { format: EXPORT_FORMAT, conferenceId: c.id, head, exportedAt });
  const header = {
    type: 'header',
    format: EXPORT_FORMAT,
    conference: { id: c.id, name: c.name, visibility: c.visibility, startsOn: c.startsOn, endsOn: c.endsOn },
    jwks: { keys: opts.keys.publicJwks },
    exportedAt,
    head,
    headSignature,
  };
  yield JSON.stringify(header) + '\n';

  let after = 0;
  let events = 0;
  while (after < headSeq) {
    const page = await loadEvents(db, c.id, after, Math.min(PAGE, headSeq - after));
    if (page.length === 0) break;
    for (const entry of page) {
      yield JSON.stringify({ type: 'event', entry }) + '\n';
      events++;
    }
    after = page[page.length - 1]!.seq;
  }

  let records = 0;
  const seen = new Set<string>();
  for (const voteId of await closedVoteIds(db, c.id)) {
    if (seen.has(voteId)) continue;
    seen.add(voteId);
    const loaded = await loadVote(db, voteId);
    if (!loaded.closedEvent || loaded.closedEvent.seq > headSeq) continue;
    yield JSON.stringify({ type: 'record', record: await buildRecord(db, loaded) }) + '\n';
    records++;
  }
  yield JSON.stringify({ type: 'end', events, records }) + '\n';
}
