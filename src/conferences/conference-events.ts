/** The conference's own events: the conference, its sittings and its agenda. */
import { defineEvent, defineEvents } from '../events/define-event.js';

type AgendaItemState = 'pending' | 'current' | 'done' | 'deferred';

export interface ConferenceCreated {
  name: string;
  location?: string | null;
  startsOn?: string | null;
  endsOn?: string | null;
  visibility?: 'public' | 'private';
  /** Written by the demo seed. */
  seeded?: boolean;
}

export const conferenceEvents = defineEvents({
  'conference.created': defineEvent<ConferenceCreated>().showing(
    'name',
    'location',
    'startsOn',
    'endsOn',
    'visibility',
    'seeded',
  ),
  'conference.updated': defineEvent<{ changes: Record<string, unknown> }>().showing('changes'),
  'sitting.created': defineEvent<{ sittingId: string; title: string; position: number }>().showing(
    'sittingId',
    'title',
    'position',
  ),
  'agenda.item_created': defineEvent<{
    itemId: string;
    title: string;
    position: number;
    sittingId: string | null;
    resolutionId: string | null;
  }>().showing('itemId', 'title', 'position', 'sittingId', 'resolutionId'),
  'agenda.item_updated': defineEvent<{ itemId: string; changes: Record<string, unknown> }>().showing(
    'itemId',
    'changes',
  ),
  'agenda.current_changed': defineEvent<{
    from: string | null;
    to: string | null;
    previousState: AgendaItemState | null;
  }>().showing('from', 'to', 'previousState'),
});
