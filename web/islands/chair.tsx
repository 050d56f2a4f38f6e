/**
 * The chair's console: reads everything through the public API with the chair's token,
 * follows the conference and the selected vote live (a tally message makes it re-read who
 * has voted, so a ballot shows as "voted" within a second), and asks before anything that
 * cannot be undone. Alt+N opens the next vote of the list, Alt+C closes the open one.
 * While tellers are at work, or an election takes ballots, it re-reads every POLL_MS: the
 * tellers' steps and an election's ballots reach no topic the console follows.
 */
import { hydrate } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  ChairApp,
  CHAIR_ROLES,
  nextVoteOf,
  openVoteOf,
  votingListOf,
  type AdoptedText,
  type ChairData,
  type ChairPageState,
  type ChairRuntime,
  type NewVote,
  type Participation,
  type ResolutionDetail,
} from '../components/chair-app.js';
import type { AgendaItem, Conference, Vote, VoteDetail, VoteResult } from '../components/api-types.js';
import { useConfirm, type ShellAccount } from '../components/staff-shell.js';
import { makeT } from '../i18n/translate.js';
import { initialState, islandRoot } from '../client/boot.js';
import { all, call, liveUrl, loadStaff, staffSignOut } from '../client/staff-api.js';
import { LiveClient, type LiveStatus } from '../client/live-client.js';
import { ceremonyMoving, type CeremonyState, type TellerAccountItem } from '../components/chair-e2e.js';
import type { ElectionDetail, ElectionResult } from '../components/chair-elections.js';

/** How often the console re-reads while a ceremony or an election is under way (the /trustee page's pace). */
const POLL_MS = 1500;

const props = initialState<ChairPageState & { serverNow: number }>();
const offset = props.serverNow - Date.now();
const t = makeT(props.speech[0]!.messages);

async function get<T>(path: string): Promise<T> {
  const r = await call<T>('GET', path);
  if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
  return r.body;
}

/** A ceremony's public state, or null while there is none (an election whose tellers are not prepared yet). */
async function ceremonyOf(kind: 'vote' | 'election', id: string): Promise<CeremonyState | null> {
  const r = await call<CeremonyState>('GET', `/api/v1/${kind}s/${id}/tellers`);
  if (r.status === 404) return null;
  if (r.status !== 200) throw new Error(`tellers of ${kind} ${id}: ${r.status}`);
  return r.body;
}

/** Something the tellers or the delegates are doing that no followed topic reports. */
function underWay(d: ChairData): boolean {
  if (Object.values(d.ceremonies).some(ceremonyMoving)) return true;
  // An election's ballots are not on the conference topic; a vote's come as tally messages.
  return d.elections.some((e) => e.state === 'open' || e.state === 'counting');
}

function ChairIsland(p: ChairPageState) {
  const conferenceId = p.conference.id;
  const [mounted, setMounted] = useState(false);
  const [account, setAccount] = useState<ShellAccount | null>(null);
  const [data, setData] = useState<ChairData | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<ChairRuntime['message']>(null);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [now, setNow] = useState(Date.now());
  const choice = useRef<{ resolutionId: string | null; voteId: string | null }>({ resolutionId: null, voteId: null });
  const results = useRef<Record<string, VoteResult>>({});
  const electionResults = useRef<Record<string, ElectionResult>>({});
  const tellerAccounts = useRef<TellerAccountItem[] | null>(null);
  const { ask, dialog } = useConfirm('chair-confirm');
  const allowed = (a: ShellAccount | null) =>
    !!a &&
    (CHAIR_ROLES as readonly string[]).includes(a.role) &&
    (a.conferenceId === null || a.conferenceId === conferenceId);

  const load = async (): Promise<void> => {
    const base = `/api/v1/conferences/${conferenceId}`;
    const [conference, agenda, votes, resolutions, electionList, accounts] = await Promise.all([
      get<Conference>(base),
      all<AgendaItem>(`${base}/agenda`),
      all<Vote>(`${base}/votes`),
      all<{ id: string; title: string }>(`${base}/resolutions`),
      all<{ id: string }>(`${base}/elections`),
      tellerAccounts.current ?? get<{ items: TellerAccountItem[] }>(`${base}/teller-accounts`).then((r) => r.items),
    ]);
    tellerAccounts.current = accounts;
    const elections = await Promise.all(electionList.map((e) => get<ElectionDetail>(`/api/v1/elections/${e.id}`)));
    const ceremonies: Record<string, CeremonyState> = {};
    await Promise.all([
      ...elections
        .filter((e) => e.mode === 'secret_e2e' && e.state !== 'cancelled')
        .map(async (e) => {
          const c = await ceremonyOf('election', e.id);
          if (c) ceremonies[`election:${e.id}`] = c;
        }),
      // Closed results never change: each is read once.
      ...elections
        .filter((e) => e.state === 'closed' && !electionResults.current[e.id])
        .map(async (e) => {
          electionResults.current[e.id] = await get<ElectionResult>(`/api/v1/elections/${e.id}/result`);
        }),
    ]);
    const current = agenda.find((i) => i.id === conference.currentAgendaItemId);
    const resolutionId =
      choice.current.resolutionId ??
      current?.resolutionId ??
      agenda.find((i) => i.resolutionId)?.resolutionId ??
      resolutions[0]?.id ??
      null;
    const [resolution, adopted] = resolutionId
      ? await Promise.all([
          get<ResolutionDetail>(`/api/v1/resolutions/${resolutionId}`),
          get<AdoptedText>(`/api/v1/resolutions/${resolutionId}/text?version=adopted`),
        ])
      : [null, null];
    const partial: ChairData = {
      conference,
      agenda,
      votes,
      resolutions,
      resolution,
      adopted,
      results: results.current,
      selected: null,
      participation: null,
      elections,
      electionResults: { ...electionResults.current },
      ceremonies,
      tellerAccounts: accounts,
    };
    // Closed results never change: each is read once.
    const closed = votes.filter((v) => v.state === 'closed' && !results.current[v.id]);
    const read = await Promise.all(closed.map((v) => get<VoteResult>(`/api/v1/votes/${v.id}/result`)));
    for (const r of read) results.current[r.voteId] = r;
    partial.results = { ...results.current };
    // The open vote is the one to watch; else the one chosen; else the next of the list.
    const open = openVoteOf(partial);
    const selectedId =
      open?.id ?? choice.current.voteId ?? nextVoteOf(partial)?.id ?? votingListOf(partial).at(-1)?.id ?? null;
    choice.current.voteId = selectedId;
    if (selectedId) {
      const [selected, participation] = await Promise.all([
        get<VoteDetail>(`/api/v1/votes/${selectedId}`),
        get<Participation>(`/api/v1/votes/${selectedId}/participation`),
      ]);
      partial.selected = selected;
      partial.participation = participation;
      if (selected.mode === 'secret_e2e') {
        const c = await ceremonyOf('vote', selectedId);
        if (c) partial.ceremonies[`vote:${selectedId}`] = c;
      }
    }
    setData(partial);
  };

  /** Re-reads soon, once, however many events arrive meanwhile. */
  const soon = useMemo(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    return (ms = 120) => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        load().catch(() => undefined);
      }, ms);
    };
  }, []);

  /** A ballot came in: only who voted and the tally change, the cheap reads. */
  const refreshVote = useMemo(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    return (voteId: string) => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        Promise.all([
          get<VoteDetail>(`/api/v1/votes/${voteId}`),
          get<Participation>(`/api/v1/votes/${voteId}/participation`),
        ]).then(
          ([selected, participation]) =>
            setData((d) => (d && d.selected?.id === voteId ? { ...d, selected, participation } : d)),
          () => undefined,
        );
      }, 40);
    };
  }, []);

  const live = useMemo(
    () =>
      new LiveClient({
        url: liveUrl,
        handlers: {
          onConference: () => soon(),
          onTally: (tally) => {
            if (tally.voteId === choice.current.voteId) refreshVote(tally.voteId);
          },
          onResync: () => soon(0),
          onStatus: setStatus,
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
    load().catch(() => setMessage({ kind: 'bad', text: t('staff.loadFailed') }));
    live.start();
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      clearInterval(tick);
      live.stop();
    };
  }, []);

  // Re-read after each read while something is under way; a fresh read resets the timer.
  useEffect(() => {
    if (!data || !underWay(data)) return;
    const timer = setTimeout(() => soon(0), POLL_MS);
    return () => clearTimeout(timer);
  }, [data]);

  useEffect(() => {
    live.follow([`conference:${conferenceId}`, ...(data?.selected ? [`vote:${data.selected.id}`] : [])]);
  }, [data?.selected?.id]);

  /** One action: busy while it runs, its outcome in words, then a fresh read. */
  const act = async (ok: string, fn: () => Promise<{ status: number; code: string | null; detail: string | null }>) => {
    setBusy(true);
    try {
      const r = await fn();
      if (r.status >= 200 && r.status < 300) setMessage({ kind: 'good', text: ok });
      else setMessage({ kind: 'bad', text: t('staff.refused', { reason: r.detail ?? r.code ?? String(r.status) }) });
      await load();
    } catch {
      setMessage({ kind: 'bad', text: t('staff.unreachable') });
    } finally {
      setBusy(false);
    }
  };

  const rt: ChairRuntime = {
    account,
    data,
    busy,
    message,
    live: { status, lastUpdate: live.lastUpdate, now },
    serverNow: now + offset,
    dialog,
    signOut() {
      live.stop();
      void staffSignOut().then(() => setAccount(null));
    },
    setCurrent(itemId) {
      void act(t('chair.done.current'), () =>
        call('PUT', `/api/v1/conferences/${conferenceId}/agenda/current`, { itemId }),
      );
    },
    setItemState(itemId, state) {
      void act(t('chair.done.item'), () => call('PATCH', `/api/v1/agenda-items/${itemId}`, { state }));
    },
    selectResolution(id) {
      choice.current = { resolutionId: id, voteId: null };
      soon(0);
    },
    createVotingList() {
      const r = data?.resolution;
      if (r) void act(t('chair.done.list'), () => call('POST', `/api/v1/resolutions/${r.id}/voting-list`, {}));
    },
    openNext() {
      const next = data && nextVoteOf(data);
      if (!next) return;
      void ask(t('chair.confirmOpen', { title: next.title }), t('chair.open')).then((yes) => {
        if (!yes) return;
        choice.current.voteId = next.id;
        void act(t('chair.done.opened', { title: next.title }), () =>
          call('POST', `/api/v1/votes/${next.id}/open`, {}),
        );
      });
    },
    openVote(voteId, minutes) {
      const v = data?.votes.find((x) => x.id === voteId);
      if (!v) return;
      void ask(t('chair.confirmOpen', { title: v.title }), t('chair.open')).then((yes) => {
        if (!yes) return;
        choice.current.voteId = voteId;
        void act(t('chair.done.opened', { title: v.title }), () =>
          call('POST', `/api/v1/votes/${voteId}/open`, minutes ? { durationSeconds: minutes * 60 } : {}),
        );
      });
    },
    closeVote(voteId) {
      const v = data?.votes.find((x) => x.id === voteId);
      if (!v) return;
      void ask(t('chair.confirmClose', { title: v.title }), t('chair.close')).then((yes) => {
        if (!yes) return;
        choice.current.voteId = voteId;
        void act(t('chair.done.closed', { title: v.title }), () => call('POST', `/api/v1/votes/${voteId}/close`));
      });
    },
    cancelVote(voteId) {
      const v = data?.votes.find((x) => x.id === voteId);
      if (!v) return;
      void ask(t('chair.confirmCancel', { title: v.title }), t('chair.cancelVote')).then((yes) => {
        if (yes) void act(t('chair.done.cancelled'), () => call('POST', `/api/v1/votes/${voteId}/cancel`));
      });
    },
    selectVote(voteId) {
      choice.current.voteId = voteId;
      soon(0);
    },
    decideAmendment(id, status) {
      const words = {
        admitted: 'chair.admit',
        inadmissible: 'chair.inadmissible',
        withdrawn: 'chair.withdraw',
      } as const;
      void ask(t('chair.confirmAmendment', { action: t(words[status]) }), t(words[status])).then((yes) => {
        if (yes) void act(t('chair.done.amendment'), () => call('PATCH', `/api/v1/amendments/${id}`, { status }));
      });
    },
    createVote(v: NewVote) {
      const [num, den] = v.quorum === 'none' ? [0, 0] : v.quorum.split('/').map(Number);
      void act(t('chair.done.created', { title: v.title }), async () => {
        const r = await call<{ id: string }>('POST', `/api/v1/conferences/${conferenceId}/votes`, {
          title: v.title,
          ...(v.question ? { question: v.question } : {}),
          subject: v.subjectType === 'motion' ? { type: 'motion' } : { type: v.subjectType, id: v.subjectId },
          mode: v.mode,
          ...(v.mode === 'secret_e2e' && v.tellers ? { tellers: v.tellers } : {}),
          weighting: v.weighting,
          majority: { rule: v.rule, base: v.base },
          quorum: v.quorum === 'none' ? null : { numerator: num, denominator: den },
        });
        if (r.status === 201) choice.current.voteId = r.body.id;
        return r;
      });
    },
    say(text) {
      setMessage({ kind: 'bad', text });
    },
    encryptElection(electionId, tellers) {
      const e = data?.elections.find((x) => x.id === electionId);
      if (!e) return;
      void act(t('chair.el.done.encrypted', { title: e.title }), () =>
        call('PATCH', `/api/v1/elections/${electionId}`, { mode: 'secret_e2e', tellers }),
      );
    },
    prepareTellers(electionId) {
      const e = data?.elections.find((x) => x.id === electionId);
      if (!e) return;
      void ask(t('chair.el.confirmPrepare', { title: e.title }), t('chair.el.prepare')).then((yes) => {
        if (yes)
          void act(t('chair.el.done.prepared', { title: e.title }), () =>
            call('POST', `/api/v1/elections/${electionId}/tellers/prepare`, {}),
          );
      });
    },
    openElection(electionId) {
      const e = data?.elections.find((x) => x.id === electionId);
      if (!e) return;
      void ask(t('chair.confirmOpen', { title: e.title }), t('chair.el.open')).then((yes) => {
        if (yes)
          void act(t('chair.done.opened', { title: e.title }), () =>
            call('POST', `/api/v1/elections/${electionId}/open`, {}),
          );
      });
    },
    closeElection(electionId) {
      const e = data?.elections.find((x) => x.id === electionId);
      if (!e) return;
      void ask(t('chair.el.confirmClose', { title: e.title }), t('chair.el.close')).then((yes) => {
        if (yes)
          void act(t('chair.done.closed', { title: e.title }), () =>
            call('POST', `/api/v1/elections/${electionId}/close`, {}),
          );
      });
    },
    restartTellers(kind, id) {
      void ask(t('chair.e2e.confirmRestart'), t('chair.e2e.restart')).then((yes) => {
        if (yes)
          void act(t('chair.e2e.done.restart'), () => call('POST', `/api/v1/${kind}s/${id}/tellers/restart`, {}));
      });
    },
    paperBallot(seatId, ch) {
      const v = data?.selected;
      const seat = data?.participation?.bySeat.find((s) => s.seatId === seatId);
      if (!v || !seat) return;
      void ask(t('chair.confirmPaper', { name: seat.name, choice: t(`vote.${ch}`) }), t('chair.paperEnter')).then(
        (yes) => {
          if (yes)
            void act(t('chair.done.paper', { name: seat.name }), () =>
              call('POST', `/api/v1/votes/${v.id}/ballots`, { choice: ch, onBehalfOf: seatId }),
            );
        },
      );
    },
  };

  // The few actions a chair repeats, with a modifier (a single letter would fire while typing, WCAG 2.1.4).
  const keys = useRef(rt);
  keys.current = rt;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey || document.querySelector('dialog[open]')) return;
      const d = keys.current.data;
      if (!d || keys.current.busy) return;
      if (e.code === 'KeyN' && nextVoteOf(d)) {
        e.preventDefault();
        keys.current.openNext();
      } else if (e.code === 'KeyC') {
        const open = openVoteOf(d);
        if (open) {
          e.preventDefault();
          keys.current.closeVote(open.id);
        }
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return <ChairApp {...p} {...(mounted ? { rt } : {})} />;
}

hydrate(<ChairIsland {...props} />, islandRoot());
