/** Resolutions, their clauses and amendments: all of it is the conference's public business. */
import { defineEvent, defineEvents } from '../events/define-event.js';
import type { AmendmentStatus } from '../domain/consolidated-text.js';

interface AmendmentDecided {
  resolutionId: string;
  amendmentId: string;
  number: number;
  clauseId: string;
  from: AmendmentStatus;
  to: AmendmentStatus;
}
const decision = () =>
  defineEvent<AmendmentDecided>().showing('resolutionId', 'amendmentId', 'number', 'clauseId', 'from', 'to');

export const resolutionEvents = defineEvents({
  'resolution.created': defineEvent<{
    resolutionId: string;
    title: string;
    from: 'text' | 'clauses';
    agendaItemId: string | null;
    clauses: { id: string; number: number }[];
  }>().showing('resolutionId', 'title', 'from', 'agendaItemId', 'clauses'),
  'clause.edited': defineEvent<{
    resolutionId: string;
    clauseId: string;
    number: number;
    changed: Record<string, unknown>;
  }>().showing('resolutionId', 'clauseId', 'number', 'changed'),
  'amendment.submitted': defineEvent<{
    resolutionId: string;
    amendmentId: string;
    number: number;
    clauseId: string;
    clauseNumber: number;
    kind: string;
    text: string | null;
    proposerDelegationId: string | null;
  }>().showing(
    'resolutionId',
    'amendmentId',
    'number',
    'clauseId',
    'clauseNumber',
    'kind',
    'text',
    'proposerDelegationId',
  ),
  'amendment.admitted': decision(),
  'amendment.declared_inadmissible': decision(),
  'amendment.withdrawn': decision(),
});
