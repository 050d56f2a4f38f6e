/**
 * The credentials desk's island. The roster and presence come from the public API with
 * the admin's token and follow the conference live; the import sends the file as it is
 * (bytes) to the preview, and only after that, on "Import", to the roster route. Badge
 * codes exist in this page's memory only, for the one sheet being printed: leaving the
 * sheet forgets them, as the service never shows a code twice.
 */
import { hydrate } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  DeskApp,
  DESK_ROLES,
  type Badge,
  type DeskData,
  type DeskPageState,
  type DeskRuntime,
  type Delegate,
  type Delegation,
  type ImportState,
} from '../components/desk-app.js';
import type { RosterPreview } from '../../src/staff/roster-preview.js';
import { useConfirm, type ShellAccount } from '../components/staff-shell.js';
import { makeT } from '../i18n/translate.js';
import { initialState, islandRoot } from '../client/boot.js';
import { all, call, liveUrl, loadStaff, staffSignOut } from '../client/staff-api.js';
import { LiveClient } from '../client/live-client.js';

const props = initialState<DeskPageState>();
const t = makeT(props.speech[0]!.messages);
/** Codes per request: one transaction each, so the conference is never held for long. */
const CODE_BATCH = 200;

async function loadDesk(conferenceId: string): Promise<DeskData> {
  const base = `/api/v1/conferences/${conferenceId}`;
  const [delegations, presence] = await Promise.all([
    all<Delegation>(`${base}/delegations`),
    call<DeskData['presence']>('GET', `${base}/presence`),
  ]);
  const lists = await Promise.all(delegations.map((d) => all<Delegate>(`/api/v1/delegations/${d.id}/delegates`)));
  if (presence.status !== 200) throw new Error('presence');
  return { delegations, delegates: lists.flat(), presence: presence.body };
}

/** The roster as the import reads it (the same columns), so an export can be imported again. */
function rosterCsv(data: DeskData): string {
  const cell = (v: string | number | boolean | null) => {
    const s = v === null ? '' : String(v);
    // A leading = + - @ would be a formula in a spreadsheet: quote it with a tick.
    const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const byId = new Map(data.delegations.map((d) => [d.id, d]));
  const rows = [['delegation', 'votes', 'name', 'externalId', 'role', 'weight', 'quotaGroup', 'firstCongress']];
  for (const m of data.delegates) {
    const d = byId.get(m.delegationId)!;
    rows.push(
      [d.name, d.votes, m.name, m.externalId, m.role, m.weight, m.quotaGroup, m.firstCongress].map(cell) as string[],
    );
  }
  return `${rows.map((r) => r.join(',')).join('\r\n')}\r\n`;
}

function DeskIsland(p: DeskPageState) {
  const conferenceId = p.conference.id;
  const [mounted, setMounted] = useState(false);
  const [account, setAccount] = useState<ShellAccount | null>(null);
  const [data, setData] = useState<DeskData | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<DeskRuntime['message']>(null);
  const [query, setQuery] = useState('');
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [importing, setImporting] = useState<ImportState | null>(null);
  const [sheet, setSheet] = useState<Badge[] | null>(null);
  const file = useRef<File | null>(null);
  const { ask, dialog } = useConfirm('desk-confirm');
  const allowed = (a: ShellAccount | null) =>
    !!a &&
    (DESK_ROLES as readonly string[]).includes(a.role) &&
    (a.conferenceId === null || a.conferenceId === conferenceId);

  const reload = () =>
    loadDesk(conferenceId).then(setData, () => setMessage({ kind: 'bad', text: t('staff.loadFailed') }));
  const soon = useMemo(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    return () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        void reload();
      }, 300);
    };
  }, []);
  const live = useMemo(
    () =>
      new LiveClient({
        url: liveUrl,
        handlers: {
          onConference: soon,
          onTally: () => undefined,
          onResync: soon,
          onStatus: () => undefined,
          onSessionEnded: () => setAccount(loadStaff()?.account ?? null),
        },
      }),
    [],
  );

  useEffect(() => {
    const a = loadStaff()?.account ?? null;
    setAccount(a);
    setMounted(true);
    if (!allowed(a)) return;
    void reload();
    live.start();
    live.follow([`conference:${conferenceId}`]);
    return () => live.stop();
  }, []);

  const refused = (r: { status: number; code: string | null; detail: string | null }) =>
    setMessage({ kind: 'bad', text: t('staff.refused', { reason: r.detail ?? r.code ?? String(r.status) }) });

  const act = async (ok: string, fn: () => Promise<{ status: number; code: string | null; detail: string | null }>) => {
    setBusy(true);
    try {
      const r = await fn();
      if (r.status >= 200 && r.status < 300) setMessage({ kind: 'good', text: ok });
      else refused(r);
      await reload();
    } catch {
      setMessage({ kind: 'bad', text: t('staff.unreachable') });
    } finally {
      setBusy(false);
    }
  };

  const nameOf = (id: string) => data?.delegates.find((m) => m.id === id)?.name ?? '';

  const makeSheet = async (issued: { delegateId: string; accessCode: string }[]): Promise<Badge[]> => {
    // Loaded when a sheet is made, not with the page: the page's first load stays light.
    const { renderSVG } = await import('uqr');
    const d = data!;
    const names = new Map(d.delegations.map((g) => [g.id, g.name]));
    const order = new Map(d.delegates.map((m, i) => [m.id, i]));
    return issued
      .map((c) => {
        const m = d.delegates.find((x) => x.id === c.delegateId)!;
        const url = `${p.publicOrigin}/vote#code=${c.accessCode}`;
        return {
          delegateId: m.id,
          name: m.name,
          delegation: names.get(m.delegationId) ?? '',
          role: m.role,
          code: c.accessCode,
          // The four-module quiet zone of the QR specification: phone cameras find the code reliably.
          svg: renderSVG(url, { border: 4 }),
        };
      })
      .sort((a, b) => order.get(a.delegateId)! - order.get(b.delegateId)!);
  };

  const rt: DeskRuntime = {
    account,
    data,
    busy,
    message,
    query,
    selectedId,
    importing,
    sheet,
    dialog,
    signOut() {
      live.stop();
      void staffSignOut().then(() => setAccount(null));
    },
    setQuery,
    select(id) {
      setSelectedId(id);
    },
    preview(f) {
      file.current = f;
      setBusy(true);
      setImporting(null);
      call<RosterPreview>('POST', `/api/v1/conferences/${conferenceId}/roster/preview`, f, undefined, 'text/csv')
        .then((r) => {
          if (r.status === 200) {
            setImporting({ fileName: f.name, preview: r.body, result: null });
            setMessage({
              kind: r.body.refused.length ? 'bad' : 'good',
              text: t('desk.previewSummary', {
                rows: r.body.rows,
                accepted: r.body.accepted,
                refused: r.body.refused.length,
              }),
            });
          } else refused(r);
        })
        .catch(() => setMessage({ kind: 'bad', text: t('staff.unreachable') }))
        .finally(() => setBusy(false));
    },
    importFile() {
      const f = file.current;
      const imp = importing;
      if (!f || !imp) return;
      void act(t('desk.importDone'), async () => {
        const r = await call<{ counts: ImportState['result'] }>(
          'POST',
          `/api/v1/conferences/${conferenceId}/roster`,
          f,
          undefined,
          'text/csv',
        );
        if (r.status === 201) setImporting({ ...imp, result: r.body.counts });
        return r;
      });
    },
    setPresent(id, present) {
      void act(t(present ? 'desk.checkedIn' : 'desk.checkedOut', { name: nameOf(id) }), () =>
        call('PUT', `/api/v1/delegates/${id}/presence`, { present }),
      );
    },
    setProxy(id, to) {
      void act(t(to ? 'desk.proxySet' : 'desk.proxyRevoked', { name: nameOf(id) }), () =>
        call('PUT', `/api/v1/delegates/${id}/proxy`, { toDelegateId: to }),
      );
    },
    substitute(id, alternateId) {
      void ask(
        t('desk.confirmSubstitute', { name: nameOf(id), alternate: nameOf(alternateId) }),
        t('desk.substitute'),
      ).then((yes) => {
        if (yes)
          void act(t('desk.substituted', { name: nameOf(id) }), () =>
            call('PUT', `/api/v1/delegates/${id}/substitute`, { alternateId }),
          );
      });
    },
    issueCode(id) {
      const m = data?.delegates.find((x) => x.id === id);
      if (!m) return;
      const go = () =>
        act(t('desk.codeIssued', { name: m.name }), async () => {
          const r = await call<{ delegateId: string; accessCode: string }>(
            'POST',
            `/api/v1/delegates/${id}/access-code`,
          );
          // A single badge to print or reprint: the sheet holds just this one, shown once.
          if (r.status === 201) setSheet(await makeSheet([r.body]));
          return r;
        });
      if (!m.hasAccessCode) void go();
      else void ask(t('desk.confirmRotate', { name: m.name }), t('desk.rotateCode')).then((yes) => yes && void go());
    },
    printMissing() {
      const d = data;
      if (!d) return;
      const ids = d.delegates.filter((m) => !m.hasAccessCode).map((m) => m.id);
      void ask(t('desk.confirmPrint', { n: ids.length }), t('desk.badgesPrint', { n: ids.length })).then(
        async (yes) => {
          if (!yes) return;
          setBusy(true);
          const issued: { delegateId: string; accessCode: string }[] = [];
          try {
            for (let i = 0; i < ids.length; i += CODE_BATCH) {
              const r = await call<{ issued: { delegateId: string; accessCode: string }[] }>(
                'POST',
                `/api/v1/conferences/${conferenceId}/access-codes`,
                { delegateIds: ids.slice(i, i + CODE_BATCH) },
              );
              if (r.status !== 201) {
                refused(r);
                break;
              }
              issued.push(...r.body.issued);
            }
            if (issued.length) {
              setSheet(await makeSheet(issued));
              setMessage({
                kind: 'good',
                text: t('desk.sheet', { n: issued.length, pages: Math.ceil(issued.length / 8) }),
              });
            }
          } catch {
            setMessage({ kind: 'bad', text: t('staff.unreachable') });
          } finally {
            setBusy(false);
            void reload();
          }
        },
      );
    },
    clearSheet() {
      setSheet(null);
    },
    exportCsv() {
      if (!data) return;
      const url = URL.createObjectURL(new Blob([rosterCsv(data)], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `roster-${conferenceId}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
  };

  return <DeskApp {...p} {...(mounted ? { rt } : {})} />;
}

hydrate(<DeskIsland {...props} />, islandRoot());
