/** The code of a failed fetch (undici nests the socket error in `cause`): ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET ... */
export function errorCode(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    e = (e as { cause?: unknown }).cause;
  }
  return (err as Error)?.message ?? 'unknown';
}
