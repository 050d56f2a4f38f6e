/**
 * `/desk/{conferenceId}` (admin, laptop): the credentials desk. Roster import from a CSV
 * with a preview of every refused row before anything is written; search a delegate by
 * name, delegation or badge (externalId), check in and out, set or revoke a proxy,
 * substitute an alternate, issue or rotate a badge code; a printable A4 sheet of badges
 * (8 a page, QR code to /vote#code=... on the conference's public address, the code in
 * text), shown once like the codes; presence per delegation; the roster as CSV.
 */
import type { ComponentChildren } from 'preact';
import type { Conference } from './api-types.js';
import { Langs, useT, type Speech } from './lang.js';
import { StaffShell, type ShellAccount } from './staff-shell.js';
import type { RosterPreview } from '../../src/staff/roster-preview.js';

export interface DeskPageState {
  speech: Speech;
  conference: Conference;
  /** Where a badge's QR code sends the phone: the conference's public address. */
  publicOrigin: string;
}

export interface Delegation {
  id: string;
  name: string;
  votes: number;
}

export interface Delegate {
  id: string;
  delegationId: string;
  name: string;
  role: 'head' | 'delegate' | 'alternate';
  weight: number;
  externalId: string | null;
  present: boolean;
  proxyToId: string | null;
  hasAccessCode: boolean;
  quotaGroup: string | null;
  firstCongress: boolean;
}

export interface PresenceRow {
  delegationId: string;
  name: string;
  votes: number;
  delegates: number;
  present: number;
  weight: number;
  presentWeight: number;
}

export interface DeskData {
  delegations: Delegation[];
  delegates: Delegate[];
  presence: { overall: Omit<PresenceRow, 'delegationId' | 'name' | 'votes'>; delegations: PresenceRow[] };
}

export interface Badge {
  delegateId: string;
  name: string;
  delegation: string;
  role: Delegate['role'];
  code: string;
  /** The QR code's SVG (uqr), made in the browser: the code never goes back to the server. */
  svg: string;
}

export interface ImportState {
  fileName: string;
  preview: RosterPreview | null;
  result: { created: number; updated: number; unchanged: number } | null;
}

export interface DeskRuntime {
  account: ShellAccount | null;
  data: DeskData | null;
  busy: boolean;
  message: { kind: 'good' | 'bad'; text: string } | null;
  query: string;
  selectedId: string | null;
  importing: ImportState | null;
  sheet: Badge[] | null;
  dialog: ComponentChildren;
  signOut(): void;
  setQuery(q: string): void;
  select(id: string): void;
  preview(file: File): void;
  importFile(): void;
  setPresent(id: string, present: boolean): void;
  setProxy(id: string, to: string | null): void;
  substitute(id: string, alternateId: string): void;
  issueCode(id: string): void;
  printMissing(): void;
  clearSheet(): void;
  exportCsv(): void;
}

export const DESK_ROLES = ['admin'] as const;
export const BADGES_PER_PAGE = 8;

/** Case and accents ignored: "Lopez" finds "López". */
export const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

export function search(data: DeskData, q: string, limit = 25): Delegate[] {
  const words = fold(q).split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const names = new Map(data.delegations.map((d) => [d.id, fold(d.name)]));
  return data.delegates
    .filter((m) => {
      const hay = `${fold(m.name)} ${names.get(m.delegationId) ?? ''} ${fold(m.externalId ?? '')}`;
      return words.every((w) => hay.includes(w));
    })
    .slice(0, limit);
}

export function DeskApp(props: DeskPageState & { rt?: DeskRuntime }) {
  return (
    <Langs speech={props.speech}>
      <DeskBody {...props} />
    </Langs>
  );
}

function DeskBody(props: DeskPageState & { rt?: DeskRuntime }) {
  const t = useT();
  const rt = props.rt;
  return (
    <StaffShell
      title={t('desk.title')}
      subtitle={props.conference.name}
      path={`/desk/${props.conference.id}`}
      account={rt ? rt.account : undefined}
      roles={[...DESK_ROLES]}
      conferenceId={props.conference.id}
      onSignOut={() => rt?.signOut()}
    >
      {rt && (
        <>
          <div role="status" aria-live="polite" class="action-status">
            {rt.message && <p class={rt.message.kind}>{rt.message.text}</p>}
          </div>
          {rt.sheet ? (
            <BadgeSheet rt={rt} sheet={rt.sheet} />
          ) : rt.data ? (
            <div class="console">
              <div class="col">
                <SearchPanel rt={rt} data={rt.data} />
                <ImportPanel rt={rt} />
              </div>
              <div class="col">
                <BadgePanel rt={rt} data={rt.data} />
                <PresencePanel data={rt.data} />
              </div>
            </div>
          ) : (
            <p class="muted">{t('staff.loading')}</p>
          )}
          {rt.dialog}
        </>
      )}
    </StaffShell>
  );
}

function ImportPanel({ rt }: { rt: DeskRuntime }) {
  const t = useT();
  const imp = rt.importing;
  const p = imp?.preview;
  return (
    <section class="card" aria-labelledby="import-h">
      <h2 id="import-h">{t('desk.import')}</h2>
      <p class="muted">{t('desk.importHint')}</p>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const file = (e.currentTarget.elements.namedItem('roster') as HTMLInputElement).files?.[0];
          if (file) rt.preview(file);
        }}
      >
        <label for="roster-file">{t('desk.file')}</label>
        <input id="roster-file" name="roster" type="file" accept=".csv,text/csv" required />
        <button type="submit" class="button" disabled={rt.busy}>
          {t('desk.preview')}
        </button>
      </form>
      {p && (
        <div class="preview" data-refused={p.refused.length}>
          <h3>{t('desk.previewOf', { file: imp.fileName })}</h3>
          <p>{t('desk.previewSummary', { rows: p.rows, accepted: p.accepted, refused: p.refused.length })}</p>
          {p.refused.length > 0 ? (
            <>
              <p class="bad">{t('desk.refusedNothing')}</p>
              <table class="table refused">
                <caption>{t('desk.refusedRows')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('desk.row')}</th>
                    <th scope="col">{t('desk.who')}</th>
                    <th scope="col">{t('desk.reason')}</th>
                  </tr>
                </thead>
                <tbody>
                  {p.refused.map((r, i) => (
                    <tr key={`${r.row}-${i}`} data-row={r.row} data-code={r.code}>
                      <td>{r.row}</td>
                      <td>{[r.name, r.externalId].filter(Boolean).join(' · ')}</td>
                      <td>{whyOf(t, r)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : (
            p.counts && (
              <>
                <p data-counts="preview">
                  {t('desk.wouldDo', {
                    created: p.counts.created,
                    updated: p.counts.updated,
                    unchanged: p.counts.unchanged,
                    delegations: p.delegations,
                  })}
                </p>
                {!imp.result && (
                  <button type="button" class="button primary" disabled={rt.busy} onClick={rt.importFile}>
                    {t('desk.importNow', { n: p.accepted })}
                  </button>
                )}
              </>
            )
          )}
          {imp.result && (
            <p class="good" data-counts="imported">
              {t('desk.imported', {
                created: imp.result.created,
                updated: imp.result.updated,
                unchanged: imp.result.unchanged,
              })}
            </p>
          )}
        </div>
      )}
    </section>
  );
}

function SearchPanel({ rt, data }: { rt: DeskRuntime; data: DeskData }) {
  const t = useT();
  const found = search(data, rt.query);
  const names = new Map(data.delegations.map((d) => [d.id, d.name]));
  const selected = data.delegates.find((m) => m.id === rt.selectedId) ?? null;
  return (
    <section class="card" aria-labelledby="search-h">
      <h2 id="search-h">{t('desk.search')}</h2>
      <label for="desk-q">{t('desk.searchLabel')}</label>
      <input
        id="desk-q"
        type="search"
        value={rt.query}
        autocomplete="off"
        onInput={(e) => rt.setQuery(e.currentTarget.value)}
      />
      <p class="muted" role="status" aria-live="polite">
        {rt.query.trim() ? t('desk.found', { n: found.length }) : t('desk.total', { n: data.delegates.length })}
      </p>
      {found.length > 0 && (
        <ul class="results">
          {found.map((m) => (
            <li key={m.id}>
              <button
                type="button"
                class="button link"
                aria-pressed={m.id === rt.selectedId ? 'true' : 'false'}
                onClick={() => rt.select(m.id)}
              >
                {m.name}
              </button>{' '}
              <span class="muted">
                {names.get(m.delegationId)} · {roleWord(t, m.role)}
                {' · '}
                {m.present ? t('desk.present') : t('desk.absent')}
              </span>
            </li>
          ))}
        </ul>
      )}
      {selected && <DelegateCard rt={rt} data={data} m={selected} />}
    </section>
  );
}

/** The refusals the page words itself; any other (a rule checked by the import) keeps the service's words. */
const WHY = [
  'encoding',
  'unclosed_quote',
  'empty_file',
  'too_many_fields',
  'empty',
  'too_long',
  'not_a_number',
  'too_large',
  'not_a_boolean',
  'bad_role',
  'bad_quota_group',
  'duplicate_external_id',
  'votes_disagree',
  'second_head',
  'allocation_exceeded',
] as const;
type Why = (typeof WHY)[number];

function whyOf(t: ReturnType<typeof useT>, r: RosterPreview['refused'][number]): string {
  if (!(WHY as readonly string[]).includes(r.code)) return r.reason;
  // allocation_exceeded also comes from the rolled-back import (no vars): its words then.
  if (r.code === 'allocation_exceeded' && !r.vars) return r.reason;
  return t(`desk.why.${r.code as Why}`, r.vars);
}

const roleWord = (t: ReturnType<typeof useT>, r: Delegate['role']) =>
  t(r === 'head' ? 'desk.role.head' : r === 'alternate' ? 'desk.role.alternate' : 'desk.role.delegate');

function DelegateCard({ rt, data, m }: { rt: DeskRuntime; data: DeskData; m: Delegate }) {
  const t = useT();
  const mates = data.delegates.filter((x) => x.delegationId === m.delegationId && x.id !== m.id);
  const holders = mates.filter((x) => x.present && x.role !== 'alternate');
  const alternates = mates.filter((x) => x.role === 'alternate');
  const proxy = data.delegates.find((x) => x.id === m.proxyToId) ?? null;
  const delegation = data.delegations.find((d) => d.id === m.delegationId);
  return (
    <section class="delegate-card" aria-labelledby="dc-h" data-delegate={m.id}>
      <h3 id="dc-h">{m.name}</h3>
      <p>
        {delegation?.name} · {roleWord(t, m.role)} · {t('desk.weight', { n: m.weight })}
        {m.externalId && <> · {t('desk.externalId', { id: m.externalId })}</>}
      </p>
      <p>
        <strong>{m.present ? t('desk.present') : t('desk.absent')}</strong>{' '}
        <button type="button" class="button" disabled={rt.busy} onClick={() => rt.setPresent(m.id, !m.present)}>
          {m.present ? t('desk.checkOut') : t('desk.checkIn')}
        </button>
      </p>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const to = String(new FormData(e.currentTarget).get('to') ?? '');
          if (to) rt.setProxy(m.id, to);
        }}
      >
        <span>{proxy ? t('desk.proxyHeld', { name: proxy.name }) : t('desk.noProxy')}</span>
        {holders.length > 0 && (
          <>
            <label for="proxy-to">{t('desk.proxyTo')}</label>
            <select id="proxy-to" name="to">
              {holders.map((h) => (
                <option key={h.id} value={h.id}>
                  {h.name}
                </option>
              ))}
            </select>
            <button type="submit" class="button" disabled={rt.busy}>
              {t('desk.setProxy')}
            </button>
          </>
        )}
        {proxy && (
          <button type="button" class="button" disabled={rt.busy} onClick={() => rt.setProxy(m.id, null)}>
            {t('desk.revokeProxy')}
          </button>
        )}
      </form>
      {m.role !== 'alternate' && alternates.length > 0 && (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            const a = String(new FormData(e.currentTarget).get('alternate') ?? '');
            if (a) rt.substitute(m.id, a);
          }}
        >
          <label for="alt">{t('desk.substituteWith')}</label>
          <select id="alt" name="alternate">
            {alternates.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
          <button type="submit" class="button" disabled={rt.busy || m.present}>
            {t('desk.substitute')}
          </button>
          {m.present && <span class="muted">{t('desk.substituteAbsent')}</span>}
        </form>
      )}
      <p>
        <span>{m.hasAccessCode ? t('desk.hasCode') : t('desk.noCode')}</span>{' '}
        <button type="button" class="button" disabled={rt.busy} onClick={() => rt.issueCode(m.id)}>
          {m.hasAccessCode ? t('desk.rotateCode') : t('desk.issueCode')}
        </button>
      </p>
    </section>
  );
}

function BadgePanel({ rt, data }: { rt: DeskRuntime; data: DeskData }) {
  const t = useT();
  const missing = data.delegates.filter((m) => !m.hasAccessCode).length;
  return (
    <section class="card" aria-labelledby="badges-h">
      <h2 id="badges-h">{t('desk.badges')}</h2>
      <p>{t('desk.badgesMissing', { n: missing })}</p>
      <p class="muted">{t('desk.badgesHint')}</p>
      <button type="button" class="button primary" disabled={rt.busy || missing === 0} onClick={rt.printMissing}>
        {t('desk.badgesPrint', { n: missing })}
      </button>{' '}
      <button type="button" class="button" onClick={rt.exportCsv}>
        {t('desk.export')}
      </button>
    </section>
  );
}

function PresencePanel({ data }: { data: DeskData }) {
  const t = useT();
  const o = data.presence.overall;
  return (
    <section class="card" aria-labelledby="presence-h">
      <h2 id="presence-h">{t('desk.presence')}</h2>
      <p data-presence="overall">
        {t('desk.presenceOverall', { present: o.present, delegates: o.delegates, pw: o.presentWeight, w: o.weight })}
      </p>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">{t('chair.delegation')}</th>
            <th scope="col">{t('desk.presentWeight')}</th>
            <th scope="col">{t('desk.presentPeople')}</th>
          </tr>
        </thead>
        <tbody>
          {data.presence.delegations.map((d) => (
            <tr key={d.delegationId} data-delegation={d.name}>
              <th scope="row">{d.name}</th>
              <td>{t('chair.fig.of', { n: d.presentWeight, of: d.votes })}</td>
              <td>{t('chair.fig.of', { n: d.present, of: d.delegates })}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function BadgeSheet({ rt, sheet }: { rt: DeskRuntime; sheet: Badge[] }) {
  const t = useT();
  const pages: Badge[][] = [];
  for (let i = 0; i < sheet.length; i += BADGES_PER_PAGE) pages.push(sheet.slice(i, i + BADGES_PER_PAGE));
  return (
    <section class="sheet-wrap" aria-labelledby="sheet-h">
      <div class="no-print card">
        <h2 id="sheet-h">{t('desk.sheet', { n: sheet.length, pages: pages.length })}</h2>
        <p class="bad">{t('desk.sheetOnce')}</p>
        <button type="button" class="button primary" onClick={() => window.print()}>
          {t('desk.print')}
        </button>{' '}
        <button type="button" class="button" onClick={rt.clearSheet}>
          {t('desk.sheetDone')}
        </button>
      </div>
      <div class="badge-sheet">
        {pages.map((page, i) => (
          <div key={i} class="badge-page" aria-label={t('desk.sheetPage', { n: i + 1 })} role="group">
            {page.map((b) => (
              <article key={b.delegateId} class="badge" data-delegate={b.delegateId} aria-label={b.name}>
                <p class="badge-name">{b.name}</p>
                <p class="badge-delegation">{b.delegation}</p>
                <p class="badge-role">{roleWord(t, b.role)}</p>
                <div
                  class="badge-qr"
                  role="img"
                  aria-label={t('desk.qr')}
                  dangerouslySetInnerHTML={{ __html: b.svg }}
                />
                <p class="badge-code">
                  <code>{b.code}</code>
                </p>
              </article>
            ))}
          </div>
        ))}
      </div>
    </section>
  );
}
