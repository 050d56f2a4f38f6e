/** What every island does first: read the state the server rendered it with. */
import { STATE_ELEMENT_ID, ISLAND_ELEMENT_ID } from '../server/document-ids.js';

export function initialState<T>(): T {
  const el = document.getElementById(STATE_ELEMENT_ID);
  return JSON.parse(el?.textContent ?? 'null') as T;
}

export function islandRoot(): HTMLElement {
  const el = document.getElementById(ISLAND_ELEMENT_ID);
  if (!el) throw new Error('no island element');
  return el;
}

/** A GET of the API from the browser, in the shape the shared loaders take. */
export async function browserGet(path: string, token?: string | null) {
  const res = await fetch(path, {
    headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    cache: 'no-store',
  });
  const body: unknown = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  return { status: res.status, body };
}
