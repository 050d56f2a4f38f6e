/** Delegations, their delegates (seats), presence, proxies and the roster import. */
import { defineEvent, defineEvents } from '../events/define-event.js';

interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface RosterImported {
  delegates: ImportCounts | number;
  delegations: ImportCounts | number;
  accessCodesIssued?: number;
  accessCodesRotated?: number;
  /** Who got a code (delegate ids); never the code. */
  accessCodesIssuedTo?: string[];
  revokedSessions?: number;
  proxiesCleared?: number;
  /** Written by the demo seed. */
  seeded?: boolean;
}

type DelegateRef = { delegateId: string; delegationId: string };

export const delegationEvents = defineEvents({
  'delegation.created': defineEvent<{
    delegationId: string;
    name: string;
    partyId: string | null;
    votes: number;
  }>().showing('delegationId', 'name', 'partyId', 'votes'),
  'delegation.updated': defineEvent<{ delegationId: string; changes: Record<string, unknown> }>().showing(
    'delegationId',
    'changes',
  ),
  'delegate.created': defineEvent<
    DelegateRef & {
      name: string;
      role: string;
      weight: number;
      externalId: string | null;
      quotaGroup: string | null;
      firstCongress: boolean;
    }
  >().showing('delegateId', 'delegationId', 'name', 'role', 'weight', 'externalId', 'quotaGroup', 'firstCongress'),
  'delegate.updated': defineEvent<DelegateRef & { changes: Record<string, unknown> }>().showing(
    'delegateId',
    'delegationId',
    'changes',
  ),
  'delegate.checked_in': defineEvent<DelegateRef>().showing('delegateId', 'delegationId'),
  'delegate.checked_out': defineEvent<DelegateRef>().showing('delegateId', 'delegationId'),
  // The desk marked (or unmarked) a delegate as voting on paper: the chair may enter their ballots (S10).
  'delegate.voting_on_paper': defineEvent<DelegateRef & { votesOnPaper: boolean }>().showing(
    'delegateId',
    'delegationId',
    'votesOnPaper',
  ),
  'delegate.proxy_changed': defineEvent<{
    delegateId: string;
    from: string | null;
    to: string | null;
    reason?: 'holder_checked_out';
  }>().showing('delegateId', 'from', 'to', 'reason'),
  'delegate.substituted': defineEvent<
    DelegateRef & { alternateId: string; weight: number; proxyLapsed: string | null }
  >().showing('delegateId', 'alternateId', 'delegationId', 'weight', 'proxyLapsed'),
  // That a code was issued, and what it cut off, is public; the code never is on the log.
  'delegate.access_code_issued': defineEvent<DelegateRef & { rotated: boolean; revokedSessions: number }>().showing(
    'delegateId',
    'delegationId',
    'rotated',
    'revokedSessions',
  ),
  'roster.imported': defineEvent<RosterImported>().showing(
    'delegates',
    'delegations',
    'accessCodesIssued',
    'accessCodesRotated',
    'accessCodesIssuedTo',
    'revokedSessions',
    'proxiesCleared',
    'seeded',
  ),
});
