/**
 * The one place where errors become HTTP: RFC 9457 problem+json with a stable `code`.
 * Domain code throws DomainError (src/domain/errors.ts); Fastify's own errors, zod
 * validation and database outages are mapped here too, so bad input is never a 500.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError, type ErrorKind } from '../domain/errors.js';
import { pgErrorCode } from '../db/client.js';

export const statusOfKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, code: string, detail: string, extra?: Record<string, unknown>): Problem {
  // Details come first so that they can never overwrite the problem's own members.
  return { ...extra, type: `/problems/${code}`, title: titles[status] ?? 'Error', status, detail, code };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

// Driver-level signs that PostgreSQL is unreachable or restarting: answer 503, never hang or 500.
const UNAVAILABLE_PG_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
const UNAVAILABLE_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

function isDatabaseUnavailable(err: unknown): boolean {
  const code = pgErrorCode(err);
  if (code && UNAVAILABLE_PG_CODES.has(code)) return true;
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const c = (e as { code?: unknown }).code;
    const m = (e as { message?: unknown }).message;
    if (typeof c === 'string' && UNAVAILABLE_NET_CODES.has(c)) return true;
    if (
      typeof m === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
        m,
      )
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export function toProblem(err: unknown, req: FastifyRequest): Problem {
  if (err instanceof DomainError) {
    return problem(statusOfKind[err.kind], err.code, err.message, err.details ? { ...err.details } : undefined);
  }
  const fe = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fe)) {
    const errors = fe.validation.map((v) => ({
      path: [
        fe.validationContext,
        ...String(v.instancePath || '')
          .split('/')
          .filter(Boolean),
      ].join('.'),
      message: v.message ?? 'invalid',
    }));
    return problem(
      400,
      'validation_failed',
      `The request ${fe.validationContext ?? ''} is not valid.`.replace('  ', ' '),
      { errors },
    );
  }
  if (isResponseSerializationError(fe)) {
    req.log.error({ err: fe }, 'response did not match its schema');
    return problem(500, 'internal_error', 'The service failed to produce a valid answer.');
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'body_too_large', 'The request body is larger than the service accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'unsupported_media_type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, 'malformed_json', 'The body is empty but declared as JSON.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem(400, 'malformed_json', 'The body is not valid JSON.');
    case 'FST_ERR_VALIDATION':
      return problem(400, 'validation_failed', fe.message);
    default:
      break;
  }
  if (fe.statusCode === 400 && fe instanceof SyntaxError)
    return problem(400, 'malformed_json', 'The body is not valid JSON.');
  if (fe.statusCode === 429) return problem(429, 'rate_limited', fe.message || 'Too many requests; try again later.');
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return problem(fe.statusCode, fe.code ? fe.code.toLowerCase().replace(/^fst_err_/, '') : 'bad_request', fe.message);
  }
  // Class 22 is PostgreSQL refusing a value (a NUL character in text, a number or date out of
  // range) that passed the schema: the client's input, so a 400, never a 500.
  const pgCode = pgErrorCode(err);
  if (pgCode?.startsWith('22')) {
    req.log.warn({ pgCode }, 'value refused by the database');
    return problem(
      400,
      'invalid_value',
      'A value in the request cannot be stored (for example a NUL character in a text).',
    );
  }
  if (isDatabaseUnavailable(err)) {
    req.log.warn({ err }, 'database unavailable');
    return problem(503, 'database_unavailable', 'The database is unreachable; try again in a moment.');
  }
  req.log.error({ err }, 'unhandled error');
  return problem(500, 'internal_error', 'An unexpected error occurred; it has been logged.');
}
