/** A socket of the live hub, and what the feeds may do with it (send; closing is the hub's). */
import type { WebSocket } from 'ws';
import type { LivePrincipal } from './live-tickets.js';

/** The principal of a socket: from a ticket, or from a bearer header on the upgrade. */
export type SocketPrincipal = Pick<LivePrincipal, 'accountId' | 'sessionId' | 'role' | 'conferenceId' | 'delegateId'>;

export interface Conn {
  id: number;
  ws: WebSocket;
  principal: SocketPrincipal | null;
  conferences: Set<string>;
  /** voteId -> order (tallyOrder) of the last tally sent to this socket. */
  votes: Map<string, number>;
  account: string | null;
  missedPongs: number;
  pendingTallies: Map<string, { version: number; message: Buffer }>;
  chain: Promise<void>;
  inFlight: number;
  closed: boolean;
  /** Messages this socket may still send now (a token bucket: a burst, then one a second). */
  allowance: number;
  allowanceAt: number;
}

export interface Sockets {
  /** A Buffer is encoded once for all sockets; it is still sent as a text frame. */
  sendRaw(conn: Conn, data: string | Buffer): void;
  /** Control events are never dropped: a socket that cannot take them is closed instead (4008). */
  sendControl(conn: Conn, data: Buffer): void;
}
