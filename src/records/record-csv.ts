/**
 * The record as a spreadsheet, in the manner of a parliament's roll-call annex: one row per
 * entitled seat, then one total row per delegation and one overall. Secret votes show who
 * took part and never a choice, a time or a receipt next to a name.
 */
import type { VoteRecord } from './record-service.js';

export const CSV_COLUMNS = [
  'row',
  'delegation',
  'delegate',
  'choice',
  'yes',
  'no',
  'abstain',
  'not_voting',
  'cast_by',
  'weight',
  'time',
  'receipt',
] as const;

type Cell = string | number | null;

// RFC 4180 quoting; a cell that a spreadsheet would run as a formula gets a leading
// apostrophe (OWASP's CSV injection advice): delegate names are typed in by people.
function cell(value: Cell): string {
  if (value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const line = (cells: Cell[]): string => cells.map(cell).join(',') + '\r\n';

function choiceOf(split: { yes: number; no: number; abstain: number }, weight: number): string {
  const parts = (['yes', 'no', 'abstain'] as const).filter((k) => split[k] > 0);
  if (parts.length === 0) return weight === 0 && split.yes + split.no + split.abstain === 0 ? 'abstain' : 'not voting';
  if (parts.length === 1 && split[parts[0]!] === weight) return parts[0]!;
  return 'split';
}

const byName = <T extends { delegationName: string; delegateName: string | null; seatId: string }>(a: T, b: T) =>
  a.delegationName.localeCompare(b.delegationName) ||
  (a.delegateName ?? '').localeCompare(b.delegateName ?? '') ||
  (a.seatId < b.seatId ? -1 : 1);

export function recordCsv(record: VoteRecord): string {
  const seats = [...record.electorate.seats].sort(byName);
  const nameOfDelegate = new Map(seats.filter((s) => s.delegateId).map((s) => [s.delegateId!, s.delegateName]));
  const out: string[] = [line([...CSV_COLUMNS])];
  // A secret_e2e record lists participation too: its choices are only in the ciphertexts.
  const secret = record.vote.mode !== 'roll_call';

  interface Acc {
    name: string;
    yes: number;
    no: number;
    abstain: number;
    notVoting: number;
    weight: number;
    voters: number;
  }
  const perDelegation = new Map<string, Acc>();
  const overall: Acc = { name: '', yes: 0, no: 0, abstain: 0, notVoting: 0, weight: 0, voters: 0 };

  const latest = new Map<string, NonNullable<VoteRecord['ballots']>[number]>();
  for (const b of record.ballots ?? []) if (!b.superseded) latest.set(b.leaf.seatId, b);
  const took = new Map((record.participation ?? []).map((p) => [p.seatId, p]));

  for (const seat of seats) {
    let acc = perDelegation.get(seat.delegationId);
    if (!acc) {
      acc = { name: seat.delegationName, yes: 0, no: 0, abstain: 0, notVoting: 0, weight: 0, voters: 0 };
      perDelegation.set(seat.delegationId, acc);
    }
    acc.weight += seat.weight;
    overall.weight += seat.weight;
    const absentOrNot = seat.present ? 'not voting' : 'absent';
    if (secret) {
      const p = took.get(seat.seatId);
      if (p) {
        acc.voters++;
        overall.voters++;
      }
      out.push(
        line([
          'seat',
          seat.delegationName,
          seat.delegateName,
          p ? '' : absentOrNot,
          null,
          null,
          null,
          null,
          p?.castVia ?? null,
          seat.weight,
          null,
          null,
        ]),
      );
      continue;
    }
    const b = latest.get(seat.seatId);
    const split = b ? b.leaf : { yes: 0, no: 0, abstain: 0 };
    const notVoting = seat.weight - (split.yes + split.no + split.abstain);
    for (const a of [acc, overall]) {
      a.yes += split.yes;
      a.no += split.no;
      a.abstain += split.abstain;
      a.notVoting += notVoting;
      if (b) a.voters++;
    }
    // A paper ballot is entered by the chair: the delegate's name is the seat's own.
    const via = b?.castBy.via;
    const by =
      b?.castBy.delegateId && (via === 'proxy' || via === 'head') ? nameOfDelegate.get(b.castBy.delegateId) : null;
    out.push(
      line([
        'seat',
        seat.delegationName,
        seat.delegateName,
        b ? choiceOf(split, seat.weight) : absentOrNot,
        split.yes,
        split.no,
        split.abstain,
        notVoting,
        b ? (by ? `${b.castBy.via}: ${by}` : b.castBy.via) : null,
        seat.weight,
        b?.leaf.castAt ?? null,
        b?.receipt ?? null,
      ]),
    );
  }

  // Secret votes: per-delegation choices cannot be known, only who took part.
  const signed = new Map((record.byDelegation ?? []).map((d) => [String(d.delegationId), d]));
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  for (const [delegationId, acc] of [...perDelegation].sort((a, b) => a[1].name.localeCompare(b[1].name))) {
    const s = signed.get(delegationId);
    out.push(
      line([
        'delegation_total',
        acc.name,
        null,
        null,
        secret ? num(s?.yes) : acc.yes,
        secret ? num(s?.no) : acc.no,
        secret ? num(s?.abstain) : acc.abstain,
        secret ? num(s?.notVoting) : acc.notVoting,
        `${acc.voters} voted`,
        acc.weight,
        null,
        null,
      ]),
    );
  }
  const t = record.totals;
  out.push(
    line([
      'total',
      null,
      null,
      record.result ? String(record.result.outcome) : null,
      secret ? num(t?.yes) : overall.yes,
      secret ? num(t?.no) : overall.no,
      secret ? num(t?.abstain) : overall.abstain,
      secret ? num(t?.notVoting) : overall.notVoting,
      `${overall.voters} voted`,
      overall.weight,
      record.vote.closedAt,
      record.merkleRoot,
    ]),
  );
  return out.join('');
}
