/**
 * How many live sockets one client may hold (issue 20, S7): anonymous ones per address
 * (an IPv4 address or an IPv6 /64), signed-in ones per account, and all of them together.
 * A hall's phones share one NAT address but each has its own account, so they are counted
 * per account; the per-address cap is for anonymous observers (a board, a livestream
 * page), generous for a hall's worth of screens. Checked before the upgrade (a refused
 * client gets a problem, never a socket); counted from the moment a socket opens until it
 * closes. Upgrades that arrive together may pass the check together: the caps can be
 * overshot by the upgrades in flight, never more.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { WebSocket, WebSocketServer } from 'ws';
import { addressBucket } from '../auth/login-throttle.js';
import type { Config } from '../config.js';
import { DomainError } from '../domain/errors.js';

const KEY = Symbol('plenary.socketKey');
type Tagged = IncomingMessage & { [KEY]?: string };

export class SocketCaps {
  private readonly open = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: Config['live']) {}

  /** The count a socket falls under: its account when it has one, its address when not. */
  private keyOf(req: FastifyRequest): { key: string; max: number; what: string } {
    const accountId = req.livePrincipal?.accountId ?? req.verifiedToken?.accountId;
    return accountId
      ? { key: `account:${accountId}`, max: this.limits.maxSocketsPerAccount, what: 'this account' }
      : { key: `address:${addressBucket(req.ip)}`, max: this.limits.maxSocketsPerAddress, what: 'this address' };
  }

  /** onRequest of the upgrade, after the ticket was checked: throws when a cap is reached. */
  admit(req: FastifyRequest): void {
    if (this.total >= this.limits.maxSockets)
      throw new DomainError('unavailable', 'too_many_sockets', 'The live channel is full; try again later.');
    const { key, max, what } = this.keyOf(req);
    if ((this.open.get(key) ?? 0) >= max)
      throw new DomainError('rate_limited', 'too_many_sockets', `At most ${max} live sockets for ${what}.`, {
        limit: max,
      });
    (req.raw as Tagged)[KEY] = key;
  }

  /** Counts the sockets the server opens, each under the key its upgrade was admitted with. */
  attach(wss: WebSocketServer): void {
    wss.on('connection', (ws: WebSocket, raw: Tagged) => {
      const key = raw[KEY];
      if (key === undefined) return;
      this.total++;
      this.open.set(key, (this.open.get(key) ?? 0) + 1);
      ws.once('close', () => {
        this.total--;
        const n = (this.open.get(key) ?? 1) - 1;
        if (n > 0) this.open.set(key, n);
        else this.open.delete(key);
      });
    });
  }
}
