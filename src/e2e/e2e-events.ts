/**
 * The tellers' ceremony on the conference log, so that the record's log shows each step of
 * it. Everything here is public: identities, dealings (encrypted shares), complaints,
 * partial decryptions and the totals are all part of the published tally record.
 */
import { defineEvent, defineEvents } from '../events/define-event.js';
import type { TellerStep } from '../domain/e2e/ceremony.js';

type SubjectKind = 'vote' | 'election';

export interface TellersPublished {
  subjectKind: SubjectKind;
  subjectId: string;
  index: number;
  step: TellerStep;
}

export interface TellersKeyReady {
  subjectKind: SubjectKind;
  subjectId: string;
  publicKey: string;
  qualified: number[];
}

export interface TellersFailed {
  subjectKind: SubjectKind;
  subjectId: string;
  qualified: number[];
  threshold: number;
}

export interface TellersRestarted {
  subjectKind: SubjectKind;
  subjectId: string;
}

export interface TellersDecrypted {
  subjectKind: SubjectKind;
  subjectId: string;
  /** The tellers whose partials were combined (the first k valid ones, by index). */
  combined: number[];
  totals: Record<string, number>;
}

export const e2eEvents = defineEvents({
  'tellers.published': defineEvent<TellersPublished>().showing('subjectKind', 'subjectId', 'index', 'step'),
  'tellers.key_ready': defineEvent<TellersKeyReady>().showing('subjectKind', 'subjectId', 'publicKey', 'qualified'),
  'tellers.failed': defineEvent<TellersFailed>().showing('subjectKind', 'subjectId', 'qualified', 'threshold'),
  'tellers.restarted': defineEvent<TellersRestarted>().showing('subjectKind', 'subjectId'),
  'tellers.decrypted': defineEvent<TellersDecrypted>().showing('subjectKind', 'subjectId', 'combined', 'totals'),
});
