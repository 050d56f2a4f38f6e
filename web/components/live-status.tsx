/** The live channel's state in words: "Live", or "Reconnecting, last update 12 s ago" (announced politely). */
import type { LiveStatus } from '../client/live-client.js';
import { Tr } from './lang.js';

export function LiveBadge(props: { status: LiveStatus; lastUpdate: number; now: number }) {
  const seconds = Math.max(0, Math.round((props.now - props.lastUpdate) / 1000));
  return (
    <p class={`live live-${props.status}`} role="status" aria-live="polite">
      {/* A shape as well as a colour: the dot is filled when live, hollow otherwise. */}
      <span class="dot" aria-hidden="true" />{' '}
      {props.status === 'live' ? (
        <Tr k="live.live" />
      ) : props.status === 'connecting' ? (
        <Tr k="live.connecting" />
      ) : (
        <Tr k="live.stale" vars={{ seconds }} />
      )}
    </p>
  );
}
