/**
 * The board's island: hydrates the server's rendering, then follows the conference, its
 * open votes and its elections live. Conference events make it re-read the board over HTTP
 * (debounced); tallies and elections' counts of ballots apply directly, newest version
 * wins. Never needs a reload: after a lost connection or a restart it resumes from the
 * last event number and re-reads.
 */
import { hydrate } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Board } from '../components/board.js';
import { Langs, type Speech } from '../components/lang.js';
import {
  isCounting,
  keepNewerCounts,
  loadBoard,
  withCount,
  withParticipation,
  withTally,
  type BoardState,
} from '../components/board-state.js';
import { LiveClient, type LiveStatus } from '../client/live-client.js';
import { browserGet, initialState, islandRoot } from '../client/boot.js';

interface Props {
  state: BoardState;
  speech: Speech;
  serverNow: number;
}

const props = initialState<Props>();
// The server's clock minus ours, measured once at load: countdowns follow the server.
const offset = props.serverNow - Date.now();

function BoardIsland(p: Props) {
  const [state, setState] = useState(p.state);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [lastUpdate, setLastUpdate] = useState(p.serverNow - offset);
  const [now, setNow] = useState(p.serverNow - offset);
  const conferenceId = p.state.conference.id;
  // What is on screen now, for the live handlers (created once) to compare a count with.
  const shown$ = useRef(state);
  shown$.current = state;

  const live = useMemo(() => {
    let pending: ReturnType<typeof setTimeout> | null = null;
    const reread = () => {
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        loadBoard((path) => browserGet(path), conferenceId).then(
          (next) => setState((prev) => keepNewerTallies(prev, next)),
          () => undefined,
        );
      }, 150);
    };
    return new LiveClient({
      url: async () => '/live',
      // One screen per hall, not 2,000 phones: it can retry often, and must show current
      // data within 5 s of the service being back (phones keep the 30 s ceiling).
      maxDelayMs: 4000,
      handlers: {
        onConference: () => reread(),
        onTally: (t) => {
          setState((s) => withTally(s, t));
          setLastUpdate(Date.now());
        },
        onParticipation: (p, version) => {
          setState((s) => withParticipation(s, p, version));
          setLastUpdate(Date.now());
          // Open to counting to closed: the panel changes, read it again.
          if (p.state !== 'open') reread();
        },
        onCount: (c, version) => {
          setState((s) => withCount(s, c, version));
          setLastUpdate(Date.now());
          // Counting, closed or a new round: the section changes (the result, the elected), read it again.
          const shown = shown$.current.elections.find((e) => e.election.id === c.electionId)?.election;
          if (shown && (shown.state !== c.state || shown.round !== c.round)) reread();
        },
        onResync: reread,
        onStatus: setStatus,
      },
    });
  }, [conferenceId]);

  useEffect(() => {
    live.start();
    const tick = setInterval(() => {
      setNow(Date.now());
      setLastUpdate(live.lastUpdate);
    }, 1000);
    return () => {
      clearInterval(tick);
      live.stop();
    };
  }, [live]);

  useEffect(() => {
    live.follow([
      `conference:${conferenceId}`,
      ...state.votes.map((v) => `vote:${v.vote.id}`),
      ...state.elections.map((e) => `election:${e.election.id}`),
    ]);
  }, [live, conferenceId, [...state.votes.map((v) => v.vote.id), ...state.elections.map((e) => e.election.id)].join()]);

  // The tellers' decryptions come over HTTP only: re-read while an encrypted vote or election is counted.
  const counting = state.votes.some((v) => isCounting(v.vote)) || state.elections.some((e) => isCounting(e.election));
  useEffect(() => {
    if (!counting) return;
    const timer = setInterval(() => {
      loadBoard((path) => browserGet(path), conferenceId).then(
        (next) => setState((prev) => keepNewerTallies(prev, next)),
        () => undefined,
      );
    }, 2000);
    return () => clearInterval(timer);
  }, [counting, conferenceId]);

  return (
    <Langs speech={p.speech}>
      <Board state={state} serverNow={now + offset} live={{ status, lastUpdate, now }} />
    </Langs>
  );
}

/** An HTTP read that started before a tally or a count arrived must not roll it back. */
function keepNewerTallies(prev: BoardState, next: BoardState): BoardState {
  return {
    ...next,
    elections: keepNewerCounts(prev.elections, next.elections),
    votes: next.votes.map((nv) => {
      const old = prev.votes.find((v) => v.vote.id === nv.vote.id);
      return old && old.vote.tally.version > nv.vote.tally.version && nv.vote.state === old.vote.state
        ? { ...nv, vote: { ...nv.vote, tally: old.vote.tally } }
        : nv;
    }),
  };
}

hydrate(<BoardIsland {...props} />, islandRoot());
