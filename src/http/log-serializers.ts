/**
 * What an error looks like in the logs. A database error must never be logged as it is:
 * drizzle's DrizzleQueryError message is "Failed query: <sql> params: <bind parameters>",
 * which for a ballot holds the account, the seat and (a secret vote's) choice; a pg error's
 * `detail` and `message` can quote a row's values too. So an error that came from the
 * database is logged by its SQLSTATE code, constraint and table only (issue 20, S11); any
 * other error keeps pino's standard form (type, message, stack).
 */
import { stdSerializers } from 'pino';

interface Described {
  type: string;
  code?: string;
  constraint?: string;
  table?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

function fromDatabase(err: unknown): Described | null {
  let e: unknown = err;
  let found: Described | null = null;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const o = e as { name?: unknown; code?: unknown; constraint?: unknown; table?: unknown; message?: unknown };
    const isQueryError =
      o.name === 'DrizzleQueryError' || (typeof o.message === 'string' && o.message.startsWith('Failed query:'));
    if (isQueryError || (typeof o.code === 'string' && SQLSTATE.test(o.code))) {
      found ??= { type: 'DatabaseError' };
      if (typeof o.code === 'string' && SQLSTATE.test(o.code)) found.code ??= o.code;
      if (typeof o.constraint === 'string') found.constraint ??= o.constraint;
      if (typeof o.table === 'string') found.table ??= o.table;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return found;
}

interface Serialized {
  [key: string]: unknown;
  type: string;
  message: string;
  stack: string;
}

/** The stack's frames only: its first lines repeat the message (and with it the parameters). */
function framesOf(stack: unknown): string {
  if (typeof stack !== 'string') return '';
  const at = stack.indexOf('\n    at ');
  return at < 0 ? '' : stack.slice(at + 1);
}

export function errorSerializer(err: Error): Serialized {
  const db = fromDatabase(err);
  if (db) return { ...db, message: `database error ${db.code ?? '(no SQLSTATE)'}`, stack: framesOf(err.stack) };
  return stdSerializers.err(err) as Serialized;
}
