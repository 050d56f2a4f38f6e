/**
 * The phone page's island. Reads a badge code from `#code=` (a scanned QR) and removes it
 * from the address bar and the history before anything else runs; keeps the session in
 * local storage; loads the open votes with what this delegate may cast in each
 * (GET /votes/{id}/castable), and the open elections with theirs (GET
 * /elections/{id}/castable); follows the conference live; sends ballots through the
 * outbox (client/outbox.ts), sealing those of encrypted votes and elections first.
 */
import { hydrate } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  VoteApp,
  e2eOf,
  type CheckedBallot,
  type Selection,
  type ShownVote,
  type VotePageState,
  type VoteRuntime,
  type VoteView,
} from '../components/vote-app.js';
import {
  getJson,
  type AgendaItem,
  type Castable,
  type Conference,
  type Election,
  type ElectionCastable,
  type ElectionResult,
  type Page,
  type Vote,
  type VoteResult,
} from '../components/api-types.js';
import type { ElectionPick, ShownElection } from '../components/election-ballot.js';
import { clearBody, sealedValues } from '../components/election-rules.js';
import { Outbox, ballotPath, seatKey, type BallotBody, type OutboxEntry, type SeatOutcome } from '../client/outbox.js';
import type { E2eBallots, E2eCastable } from '../client/e2e-ballot.js';
import type { CastableSeat } from '../components/api-types.js';
import { LiveClient, type LiveStatus } from '../client/live-client.js';
import { browserGet, initialState, islandRoot } from '../client/boot.js';

// A badge's QR code opens /vote#code=...: the code must not stay in the address bar or the history.
const fragment = new URLSearchParams(location.hash.slice(1));
const codeFromQr = fragment.get('code');
if (codeFromQr !== null) history.replaceState(null, '', location.pathname + location.search);

const SESSION = 'plenary.session';
interface Session {
  token: string;
  expiresAt: number;
  conferenceId: string;
  delegateId: string;
  /** Kept from the last read, so a page opened offline still says who is signed in. */
  name?: string;
  conferenceName?: string;
}

function loadSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION) ?? 'null') as Session | null;
    return s && s.expiresAt > Date.now() ? s : null;
  } catch {
    return null;
  }
}

const state = initialState<VotePageState>();

function VoteIsland(p: VotePageState) {
  const [session, setSession] = useState<Session | null>(null);
  const [who, setWho] = useState<VoteView['signedIn']>(null);
  const [signingIn, setSigningIn] = useState(false);
  const [signInFailed, setSignInFailed] = useState(false);
  const [currentItem, setCurrentItem] = useState<string | null>(null);
  const [votes, setVotes] = useState<ShownVote[]>([]);
  const [elections, setElections] = useState<ShownElection[]>([]);
  const [, setTick] = useState(0);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [corrected, setCorrected] = useState<Set<string>>(new Set());
  const [offset, setOffset] = useState(0);
  const [encrypting, setEncrypting] = useState<ReadonlySet<string>>(new Set());
  // The encryption code is fetched only when an encrypted vote is on screen.
  const e2eRef = useRef<Promise<E2eBallots> | null>(null);
  const e2eBallots = () =>
    (e2eRef.current ??= import('../client/e2e-ballot.js').then((m) => new m.E2eBallots(p.e2eWorker)));
  const rerender = () => setTick((n) => n + 1);
  // Hydration does not diff attributes: the first render must be the server's (no runtime),
  // the live one follows once mounted.
  const [mounted, setMounted] = useState(false);

  const outbox = useMemo(
    () =>
      new Outbox(
        localStorage,
        async (entry) => {
          const s = loadSession();
          if (!s) return { status: 401, body: null };
          const ctl = new AbortController();
          const timer = setTimeout(() => ctl.abort(), 15_000);
          try {
            const res = await fetch(ballotPath(entry), {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${s.token}`,
                'idempotency-key': entry.key,
              },
              body: JSON.stringify(entry.body),
              signal: ctl.signal,
            });
            const body: unknown = await res.json().catch(() => null);
            return { status: res.status, body };
          } catch {
            return null;
          } finally {
            clearTimeout(timer);
          }
        },
        () => {
          rerender();
          scheduleReload();
        },
      ),
    [],
  );

  const api = (path: string) => browserGet(path, loadSession()?.token);

  let reloadTimer: ReturnType<typeof setTimeout> | null = null;
  const seen = useMemo(() => new Set<string>(), []);
  const reload = async () => {
    const s = loadSession();
    if (!s) return;
    try {
      const base = `/api/v1/conferences/${s.conferenceId}`;
      const [conf, agenda, list, electionList] = await Promise.all([
        getJson<Conference>(api, base),
        getJson<Page<AgendaItem>>(api, `${base}/agenda?limit=1000`),
        getJson<Page<Vote>>(api, `${base}/votes?limit=1000`),
        getJson<Page<Election>>(api, `${base}/elections?limit=1000`),
      ]);
      const electionsNow = loadElections(electionList.items);
      setCurrentItem(agenda.items.find((i) => i.id === conf.currentAgendaItemId)?.title ?? null);
      for (const v of list.items) if (v.state === 'open') seen.add(v.id);
      // Open votes, and those that closed while this page showed them (their result stays;
      // an encrypted vote is `counting` in between, until its tellers decrypt).
      const shown = list.items.filter(
        (v) => v.state === 'open' || ((v.state === 'closed' || v.state === 'counting') && seen.has(v.id)),
      );
      const loaded = await Promise.all(
        shown.map(async (vote): Promise<ShownVote> => {
          const [castable, result] = await Promise.all([
            getJson<Castable>(api, `/api/v1/votes/${vote.id}/castable`),
            vote.state === 'closed'
              ? getJson<VoteResult>(api, `/api/v1/votes/${vote.id}/result`)
              : Promise.resolve(null),
          ]);
          return { vote, castable, result, voters: null };
        }),
      );
      for (const l of loaded) {
        const e2e = l.vote.state === 'open' ? e2eOf(l.castable) : null;
        if (e2e) void e2eBallots().then((b) => b.prepare(e2e.publicKey));
      }
      const first = loaded[0]?.castable;
      if (first) setOffset(Date.parse(first.serverTime) - Date.now());
      const shownElections = await electionsNow;
      for (const se of shownElections) {
        const e2e = se.castable?.state === 'open' ? (se.castable.e2e ?? null) : null;
        if (e2e) void e2eBallots().then((b) => b.prepare(e2e.publicKey));
      }
      const firstElection = shownElections.find((se) => se.castable)?.castable;
      if (!first && firstElection) setOffset(Date.parse(firstElection.serverTime) - Date.now());
      setElections(shownElections);
      setVotes((prev) =>
        loaded
          .filter((l) => l.vote.state === 'open' || (l.castable?.seats.length ?? 0) > 0)
          .map((l) => ({ ...l, voters: prev.find((x) => x.vote.id === l.vote.id)?.voters ?? null })),
      );
    } catch (err) {
      if ((err as { status?: number }).status === 401) signOut();
    }
  };
  /**
   * Open elections with what this delegate may cast, and those that went counting or closed
   * while this page showed them: their candidates' names from the election's detail (the
   * castable lists candidates only while open) and, once closed, the result.
   */
  const loadElections = async (items: Election[]): Promise<ShownElection[]> => {
    for (const e of items) if (e.state === 'open') seen.add(e.id);
    const shown = items.filter(
      (e) => e.state === 'open' || (['counting', 'closed', 'cancelled'].includes(e.state) && seen.has(e.id)),
    );
    return Promise.all(
      shown.map(async (election): Promise<ShownElection> => {
        if (election.state === 'open') {
          const castable = await getJson<ElectionCastable>(api, `/api/v1/elections/${election.id}/castable`);
          return { election, castable, candidates: castable.candidates, result: null };
        }
        const [detail, result] = await Promise.all([
          getJson<{ candidates: ShownElection['candidates'] }>(api, `/api/v1/elections/${election.id}`),
          election.state === 'closed'
            ? getJson<ElectionResult>(api, `/api/v1/elections/${election.id}/result`)
            : Promise.resolve(null),
        ]);
        return { election, castable: null, candidates: detail.candidates, result };
      }),
    );
  };
  const scheduleReload = () => {
    if (reloadTimer) return;
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      void reload();
    }, 200);
  };

  const live = useMemo(
    () =>
      new LiveClient({
        url: async () => {
          const s = loadSession();
          if (!s) return '/live';
          const res = await fetch('/api/v1/live/tickets', {
            method: 'POST',
            headers: { authorization: `Bearer ${s.token}` },
          });
          if (!res.ok) throw new Error(`ticket ${res.status}`);
          const { ticket } = (await res.json()) as { ticket: string };
          return `/live?ticket=${encodeURIComponent(ticket)}`;
        },
        handlers: {
          onConference: scheduleReload,
          onTally: (t) => setVotes((vs) => vs.map((v) => (v.vote.id === t.voteId ? { ...v, voters: t.voters } : v))),
          onParticipation: (t) =>
            setVotes((vs) => vs.map((v) => (v.vote.id === t.voteId ? { ...v, voters: t.voters } : v))),
          onResync: () => {
            scheduleReload();
            outbox.resume();
          },
          onStatus: setStatus,
          onSessionEnded: () => signOut(),
        },
      }),
    [],
  );

  const startSession = async (s: Session) => {
    setSession(s);
    const me = await getJson<{ name: string }>(api, `/api/v1/delegates/${s.delegateId}`).catch(() => null);
    const conf = await getJson<Conference>(api, `/api/v1/conferences/${s.conferenceId}`).catch(() => null);
    const name = me?.name ?? s.name ?? '';
    const conferenceName = conf?.name ?? s.conferenceName ?? '';
    setWho({ name, conferenceName });
    if (me && conf) localStorage.setItem(SESSION, JSON.stringify({ ...s, name, conferenceName }));
    live.follow([`conference:${s.conferenceId}`]);
    live.start();
    outbox.resume();
    await reload();
  };

  const signIn = (raw: string) => {
    const code = raw.replace(/[\s-]/g, '').toUpperCase();
    setSigningIn(true);
    setSignInFailed(false);
    void (async () => {
      try {
        const res = await fetch('/api/v1/auth/token', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ accessCode: code }),
        });
        if (!res.ok) throw new Error(String(res.status));
        const body = (await res.json()) as {
          accessToken: string;
          expiresIn: number;
          account: { conferenceId: string | null; delegateId: string | null };
        };
        if (!body.account.conferenceId || !body.account.delegateId) throw new Error('not a delegate');
        const s: Session = {
          token: body.accessToken,
          expiresAt: Date.now() + body.expiresIn * 1000,
          conferenceId: body.account.conferenceId,
          delegateId: body.account.delegateId,
        };
        localStorage.setItem(SESSION, JSON.stringify(s));
        await startSession(s);
      } catch {
        setSignInFailed(true);
      } finally {
        setSigningIn(false);
      }
    })();
  };

  const signOut = () => {
    const s = loadSession();
    localStorage.removeItem(SESSION);
    if (s)
      void fetch('/api/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${s.token}` } }).catch(
        () => undefined,
      );
    outbox.pause();
    live.stop();
    setSession(null);
    setWho(null);
    setVotes([]);
    setElections([]);
  };

  // One topic per shown vote: its tally (participation) arrives live.
  useEffect(() => {
    if (session) live.follow([`conference:${session.conferenceId}`, ...votes.map((v) => `vote:${v.vote.id}`)]);
  }, [session?.conferenceId, votes.map((v) => v.vote.id).join()]);

  useEffect(() => {
    setMounted(true);
    // The service worker keeps this page and its assets, so a reload without network still
    // opens it and the outbox goes on sending (client/service-worker.ts).
    navigator.serviceWorker?.register('/sw.js', { scope: '/' }).catch(() => undefined);
    const s = loadSession();
    if (codeFromQr) signIn(codeFromQr);
    else if (s) void startSession(s);
    const onOnline = () => outbox.resume();
    window.addEventListener('online', onOnline);
    const tick = setInterval(rerender, 1000);
    return () => {
      window.removeEventListener('online', onOnline);
      clearInterval(tick);
    };
  }, []);

  // Outcomes: this page's sends, and for seats with a ballot on record the receipt this phone kept.
  const outcomes = new Map<string, SeatOutcome>();
  const receipts = outbox.receipts();
  for (const r of [...receipts].reverse()) outcomes.set(seatKey(r.voteId, r.seatId), { kind: 'received', receipt: r });
  for (const [k, o] of outbox.outcomes) outcomes.set(k, o);

  const runtime: VoteRuntime = {
    view: {
      signedIn: session ? (who ?? { name: '', conferenceName: '' }) : null,
      signingIn,
      signInFailed,
      currentItem,
      votes,
      elections,
      outcomes,
      receipts,
      pending: outbox.pending(),
      live: { status, lastUpdate: live.lastUpdate, now: Date.now() },
      serverNow: Date.now() + offset,
      corrected,
      encrypting,
    },
    signIn,
    signOut,
    cast: (sv, picks) => {
      const e2e = e2eOf(sv.castable);
      if (e2e) {
        castEncrypted(sv, e2e, picks);
        return;
      }
      outbox.add(
        picks.map(({ seat, selection, label }) => {
          const body: BallotBody =
            'choice' in selection
              ? { choice: selection.choice, ...(seat.kind === 'proxy' ? { onBehalfOf: seat.seatId } : {}) }
              : { split: selection.split };
          return {
            voteId: sv.vote.id,
            seatId: seat.seatId,
            body,
            voteTitle: sv.vote.title,
            seatLabel: label,
            mode: sv.vote.mode,
          };
        }),
      );
    },
    check: async (sv, picks) => {
      const e2e = e2eOf(sv.castable);
      if (!e2e) return [];
      const b = await e2eBallots();
      return Promise.all(
        picks.map(async ({ seat, selection, label }): Promise<CheckedBallot> => {
          const split = 'split' in selection;
          const r = await b.challenge({
            e2e,
            seatId: seat.seatId,
            weight: seat.weight,
            split,
            values: valuesOf(seat, selection),
          });
          return { seatId: seat.seatId, seatLabel: label, weight: seat.weight, split, ...r };
        }),
      );
    },
    castElection: (se, picks) => {
      const e2e = se.castable?.e2e ?? null;
      if (se.election.mode === 'secret_e2e') {
        if (e2e) castElectionEncrypted(se, e2e, picks);
        return;
      }
      outbox.add(
        picks.map(({ seat, selection, label }) => ({
          target: 'election' as const,
          voteId: se.election.id,
          seatId: seat.seatId,
          body: clearBody(selection, seat.kind === 'own' ? null : seat.seatId),
          voteTitle: se.election.title,
          seatLabel: label,
          mode: se.election.mode,
          ...(se.election.mode === 'roll_call' ? { words: electionWords(se, selection) } : {}),
        })),
      );
    },
    checkElection: async (se, picks) => {
      const e2e = se.castable?.e2e ?? null;
      if (!e2e) return [];
      const b = await e2eBallots();
      return Promise.all(
        picks.map(async ({ seat, selection, label }): Promise<CheckedBallot> => {
          const r = await b.challenge({
            e2e,
            seatId: seat.seatId,
            weight: seat.weight,
            split: false,
            values: sealedValues(e2e.shape.options, selection, seat.weight),
          });
          return { seatId: seat.seatId, seatLabel: label, weight: seat.weight, split: false, ...r };
        }),
      );
    },
    correct: (voteId, intended) => {
      const s = loadSession();
      if (!s) return;
      void fetch(`/api/v1/votes/${voteId}/corrections`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
        body: JSON.stringify({ intended }),
      }).then((res) => {
        if (res.status === 201) setCorrected((c) => new Set([...c, voteId]));
      });
    },
  };
  return <VoteApp {...p} runtime={mounted ? runtime : undefined} />;

  /**
   * Seals each seat's ballot in the worker (fresh randomness, never kept), then hands the
   * ciphertexts to the outbox, which stores them before sending and re-sends the same ones.
   * The seats show "encrypting" meanwhile; a failure to seal refuses them, nothing is sent.
   */
  function sealAndSend(keys: string[], seal: (b: E2eBallots) => Promise<Omit<OutboxEntry, 'key' | 'createdAt'>[]>) {
    setEncrypting((s) => new Set([...s, ...keys]));
    void (async () => outbox.add(await seal(await e2eBallots())))()
      .catch(() => {
        for (const k of keys) outbox.outcomes.set(k, { kind: 'refused', code: 'encryption_failed' });
      })
      .finally(() =>
        setEncrypting((s) => {
          const left = new Set(s);
          for (const k of keys) left.delete(k);
          return left;
        }),
      );
  }

  function castEncrypted(
    sv: ShownVote,
    e2e: E2eCastable,
    picks: { seat: CastableSeat; selection: Selection; label: string }[],
  ): void {
    const keys = picks.map((x) => seatKey(sv.vote.id, x.seat.seatId));
    sealAndSend(keys, (b) =>
      Promise.all(
        picks.map(async ({ seat, selection, label }) => {
          const split = 'split' in selection;
          const { ballot, tracker } = await b.seal({
            e2e,
            seatId: seat.seatId,
            weight: seat.weight,
            split,
            values: valuesOf(seat, selection),
          });
          const body: BallotBody = {
            encrypted: ballot,
            split,
            ...(seat.kind === 'proxy' ? { onBehalfOf: seat.seatId } : {}),
          };
          return {
            voteId: sv.vote.id,
            seatId: seat.seatId,
            body,
            voteTitle: sv.vote.title,
            seatLabel: label,
            mode: 'secret_e2e' as const,
            tracker,
          };
        }),
      ),
    );
  }

  /**
   * An encrypted election's ballots: each seat's whole weight on the options it marks (a
   * bloc included: one ballot, no split), sealed and sent as a vote's are.
   */
  function castElectionEncrypted(se: ShownElection, e2e: E2eCastable, picks: ElectionPick[]): void {
    const keys = picks.map((x) => seatKey(se.election.id, x.seat.seatId));
    sealAndSend(keys, (b) =>
      Promise.all(
        picks.map(async ({ seat, selection, label }) => {
          const { ballot, tracker } = await b.seal({
            e2e,
            seatId: seat.seatId,
            weight: seat.weight,
            split: false,
            values: sealedValues(e2e.shape.options, selection, seat.weight),
          });
          return {
            target: 'election' as const,
            voteId: se.election.id,
            seatId: seat.seatId,
            body: {
              encrypted: ballot,
              split: false as const,
              ...(seat.kind === 'own' ? {} : { onBehalfOf: seat.seatId }),
            },
            voteTitle: se.election.title,
            seatLabel: label,
            mode: 'secret_e2e' as const,
            tracker,
          };
        }),
      ),
    );
  }
}

/** A roll call's election ballot in words for its receipt (public anyway): candidates' names, not ids. */
function electionWords(se: ShownElection, selection: ElectionPick['selection']): string {
  const name = (id: string) => se.candidates.find((c) => c.id === id)?.name ?? id;
  if ('approve' in selection) return selection.approve.map(name).join(', ');
  if ('marks' in selection)
    return Object.entries(selection.marks)
      .map(([c, m]) => `${name(c)}: ${m}`)
      .join('; ');
  if ('choice' in selection) return selection.choice === 'abstain' ? 'abstain' : name(selection.choice);
  return selection.ranking.map((c, i) => `${i + 1}. ${name(c)}`).join(', ');
}

/** What each option of the vote's shape holds for this selection: the seat's weight, or a split's counts. */
function valuesOf(seat: CastableSeat, selection: Selection): Record<string, number> {
  return 'choice' in selection ? { [selection.choice]: seat.weight } : { ...selection.split };
}

hydrate(<VoteIsland {...state} />, islandRoot());
