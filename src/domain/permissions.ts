/**
 * Who may do what: the one table of roles x actions. Routes name their action
 * (`config: { access: ... }`, src/http/access.ts enforces it before the handler); services
 * that choose between actions by the data (an amendment's withdrawal or ruling) ask
 * `allows` after they have taken their locks. Ownership (this conference, this seat, the
 * proposing delegation) is checked against the data, never here.
 */

export const ROLES = ['admin', 'chair', 'delegate', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export interface Permission {
  /** The roles that may, in the order error messages name them. */
  roles: readonly Role[];
  /** 'service': only an admin bound to no conference (things that exist for the whole service). */
  scope?: 'service';
  /** A delegate may do it for their own seat only (the route's delegate is theirs). */
  delegateOwnSeat?: true;
}

export const PERMISSIONS = {
  /** A new conference, the party directory, backups of the embedded database. */
  'service.manage': { roles: ['admin'], scope: 'service' },
  'conference.manage': { roles: ['admin'] },
  /** Sittings, agenda items, the current item. */
  'agenda.manage': { roles: ['admin', 'chair'] },
  /** Delegations, delegates and the roster import. */
  'roster.manage': { roles: ['admin'] },
  'presence.set': { roles: ['admin', 'chair', 'delegate'], delegateOwnSeat: true },
  'proxy.set': { roles: ['admin', 'chair', 'delegate'], delegateOwnSeat: true },
  'delegate.substitute': { roles: ['admin', 'chair'] },
  /** Staff accounts and delegates' badge codes. */
  'account.manage': { roles: ['admin'] },
  /** Resolutions and their clauses. */
  'resolution.manage': { roles: ['admin', 'chair'] },
  'amendment.submit': { roles: ['admin', 'delegate'] },
  /** Admissibility: admitted or inadmissible. */
  'amendment.rule': { roles: ['chair', 'admin'] },
  /** The proposing delegation's head, or the admin. */
  'amendment.withdraw': { roles: ['admin', 'delegate'] },
  /** Create, open, close and cancel votes, and the voting list. */
  'vote.manage': { roles: ['chair', 'admin'] },
  /**
   * A ballot in a vote or an election: a delegate for their seat (or proxy, or delegation),
   * the chair for a paper ballot.
   */
  'vote.cast': { roles: ['delegate', 'chair'] },
  /** Elections and their candidates: create, change, open, close, cancel, and counted paper ballots in bulk. */
  'election.manage': { roles: ['chair', 'admin'] },
  /**
   * Nominate a candidate: the election's managers, or a delegate when the election takes
   * nominations from delegation heads (the service checks the setting and the headship).
   */
  'election.nominate': { roles: ['chair', 'admin', 'delegate'] },
  /** The floor settings, a list's rules and state, the floor controls, overrides and motion decisions. */
  'floor.manage': { roles: ['admin', 'chair'] },
  /**
   * Ask to speak, withdraw a request, move a procedural motion: a delegate in their own name
   * (the service checks the request's or the mover's seat), the chair for anyone.
   */
  'floor.speak': { roles: ['admin', 'chair', 'delegate'] },
  /** Who has voted so far during a vote, never how (the chair's console). */
  'participation.read': { roles: ['chair', 'admin', 'auditor'] },
  /**
   * A teller's step in the key ceremony or the decryption of an encrypted vote or election:
   * any role, but only the account the ceremony names at that index (checked by the service).
   */
  'e2e.teller': { roles: ['admin', 'chair', 'delegate', 'auditor'] },
  /** Vote records that are not public, the event log and the conference export. */
  'record.read': { roles: ['auditor', 'admin'] },
} as const satisfies Record<string, Permission>;

export type Action = keyof typeof PERMISSIONS;

export function permissionOf(action: Action): Permission {
  return PERMISSIONS[action];
}

export function allows(role: Role, action: Action): boolean {
  return (PERMISSIONS[action].roles as readonly Role[]).includes(role);
}

/** The roles that may do any of these actions, each named once, in table order. */
export function rolesFor(actions: readonly Action[]): Role[] {
  return [...new Set(actions.flatMap((a) => PERMISSIONS[a].roles))];
}
