/**
 * Typed errors thrown by domain rules and services. They carry a stable machine
 * `code` (part of the public contract) and a semantic `kind`; the HTTP layer maps
 * the kind to a status (src/http/problem.ts), so nothing under domain/ knows HTTP.
 */
export type ErrorKind =
  | 'invalid' // the request is malformed or breaks a rule of its own shape (400)
  | 'unauthenticated' // no or bad credentials (401)
  | 'forbidden' // authenticated, but not allowed (403)
  | 'not_found' // (404)
  | 'conflict' // the state of the world refuses it (409)
  | 'unprocessable' // well-formed but semantically refused (422)
  | 'too_large' // (413)
  | 'rate_limited' // (429)
  | 'unavailable'; // a dependency is down or the service is shutting down (503)

export class DomainError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string, id?: string): DomainError =>
  new DomainError(
    'not_found',
    `${what}_not_found`,
    id ? `No ${what.replace(/_/g, ' ')} with id ${id}.` : `No such ${what.replace(/_/g, ' ')}.`,
  );
