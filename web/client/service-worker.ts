/**
 * The phone page's service worker. Venue Wi-Fi drops; a delegate who reloads /vote while
 * offline must get the page back (not the browser's error page), so that the outbox in
 * local storage goes on sending their ballot when the network returns.
 *
 * - /assets/* are content-hashed and immutable: served from the cache, fetched once.
 * - The pages (/, /vote, /receipt) are network-first: a fresh copy whenever the service
 *   answers, the last copy only when it does not. The API and the live socket are never
 *   intercepted: nothing the service says about votes is ever served stale.
 *
 * Built by web/server/assets.ts with the current asset list; a new build is a new worker
 * (its cache name carries the build's hash) that drops the old caches when it activates.
 */
declare const __PRECACHE__: string[];
declare const __VERSION__: string;

interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(r: Response | Promise<Response>): void;
}
interface WorkerScope {
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  location: Location;
}
const worker = self as unknown as WorkerScope;

const CACHE = `plenary-${__VERSION__}`;
const PAGES = new Set(['/', '/vote', '/receipt']);

worker.addEventListener('install', (e) => {
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(__PRECACHE__))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith('plenary-') && n !== CACHE).map((n) => caches.delete(n))),
      )
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== worker.location.origin) return;
  if (url.pathname.startsWith('/assets/')) {
    e.respondWith(
      caches.match(req).then(
        (hit) =>
          hit ??
          fetch(req).then(async (res) => {
            if (res.ok) await (await caches.open(CACHE)).put(req, res.clone());
            return res;
          }),
      ),
    );
  } else if (req.mode === 'navigate' && PAGES.has(url.pathname)) {
    e.respondWith(
      fetch(req).then(
        async (res) => {
          // Keyed by path: the language query and the badge fragment do not make another page.
          if (res.ok) await (await caches.open(CACHE)).put(url.pathname, res.clone());
          return res;
        },
        async (err: unknown) => {
          const kept = await caches.match(url.pathname);
          if (kept) return kept;
          throw err;
        },
      ),
    );
  }
});
