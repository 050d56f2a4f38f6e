/**
 * The pages, served by Plenary itself on the API's origin: the hall's `/`, `/vote`,
 * `/board/{conferenceId}`, `/receipt`; the staff's `/sign-in`, `/chair/{conferenceId}`,
 * `/desk/{conferenceId}`; and their hashed assets under /assets/. Each page
 * is rendered on the server (the board's open vote shows before any script runs) from the
 * public API through app.inject, so a page shows exactly what an observer may read.
 */
import zlib from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { renderSVG } from 'uqr';
import { z } from 'zod';
import type { App } from '../../src/http/types.js';
import type { AppContext } from '../../src/app-context.js';
import { idSchema } from '../../src/http/schemas.js';
import { CATALOGS, isLang, pickLangs, translator, type Lang } from '../i18n/index.js';
import { ASSET_DIR, ASSET_PREFIX, webAssets, type AssetManifest } from './assets.js';
import { renderDocument, type DocumentProps } from './document.js';
import { loadBoard } from '../components/board-state.js';
import { ApiError, type Getter, type Conference, type Page } from '../components/api-types.js';
import { Board } from '../components/board.js';
import { Langs, type Speech } from '../components/lang.js';
import { VoteApp, type VotePageState } from '../components/vote-app.js';
import { ReceiptApp, type ReceiptPageState } from '../components/receipt-app.js';
import { Home } from '../components/home.js';
import { SignInApp, type SignInPageState } from '../components/sign-in-app.js';
import { ChairApp } from '../components/chair-app.js';
import { DeskApp } from '../components/desk-app.js';
import { TrusteeApp, type TrusteePageState } from '../components/trustee-app.js';
import type { Messages } from '../i18n/translate.js';

/**
 * No inline script or style, nothing from another origin. connect-src 'self' covers the
 * same-origin WebSocket; images are the inline SVG QR code only.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const LANG_COOKIE = 'plenary_lang';
const pageQuery = z.object({ lang: z.string().max(20).optional() });

export async function registerWebPages(app: App, ctx: AppContext): Promise<void> {
  const assets = await webAssets();

  await app.register(fastifyStatic, {
    root: ASSET_DIR,
    prefix: ASSET_PREFIX,
    // Content-hashed names: a file never changes, so a reload asks for none of them again.
    immutable: true,
    maxAge: '365d',
    cacheControl: true,
    preCompressed: true,
    index: false,
    list: false,
    decorateReply: false,
    allowedPath: (pathname) => !pathname.endsWith('.tmp'),
    // The build's cache (.manifest.json) names the server's source paths: not an asset.
    dotfiles: 'ignore',
  });

  /** The API as an anonymous observer sees it, without leaving the process. */
  const observer: Getter = async (path) => {
    const res = await app.inject({ method: 'GET', url: path });
    return { status: res.statusCode, body: res.json() };
  };

  const hidden = { hide: true, querystring: pageQuery } as const;

  // The phone page's service worker (client/service-worker.ts). Always revalidated, so a new
  // build reaches phones at their next visit; it may fetch only from this origin.
  app.get('/sw.js', { schema: { hide: true } }, async (_req, reply) =>
    reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', "default-src 'none'; connect-src 'self'")
      .type('text/javascript; charset=utf-8')
      .send(assets.serviceWorker),
  );

  app.get('/', { schema: hidden }, async (req, reply) => {
    const langs = langsOf(req, reply);
    const lang = langs[0]!;
    const page = await observer('/api/v1/conferences?limit=100');
    const list = page.status === 200 ? (page.body as Page<Conference>).items : [];
    return sendPage(req, reply, {
      lang,
      title: translator(lang)('app.name'),
      assets,
      children: (
        <Langs speech={speechOf(langs)}>
          <Home conferences={list.filter((c) => c.visibility === 'public')} />
        </Langs>
      ),
    });
  });

  app.get('/vote', { schema: hidden }, async (req, reply) => {
    const langs = langsOf(req, reply);
    const lang = langs[0]!;
    const state: VotePageState = { speech: speechOf([lang]), e2eWorker: assets.e2eWorker };
    return sendPage(req, reply, {
      lang,
      title: `${translator(lang)('vote.title')} · Plenary`,
      assets,
      island: 'vote',
      state,
      children: <VoteApp {...state} />,
    });
  });

  app.get('/receipt', { schema: hidden }, async (req, reply) => {
    const langs = langsOf(req, reply);
    const lang = langs[0]!;
    const state: ReceiptPageState = { speech: speechOf([lang]) };
    return sendPage(req, reply, {
      lang,
      title: `${translator(lang)('receipt.title')} · Plenary`,
      assets,
      island: 'receipt',
      state,
      children: <ReceiptApp {...state} />,
    });
  });

  app.get(
    '/board/:conferenceId',
    { schema: { hide: true, params: z.strictObject({ conferenceId: idSchema }), querystring: pageQuery } },
    async (req, reply) => {
      const langs = langsOf(req, reply, false);
      let state;
      try {
        state = await loadBoard(observer, req.params.conferenceId);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return notFoundPage(req, reply, assets, langs[0]!);
        throw err;
      }
      const serverNow = Date.now();
      const live = { status: 'connecting' as const, lastUpdate: serverNow, now: serverNow };
      const voteUrl = `${req.protocol}://${req.host}/vote`;
      return sendPage(req, reply, {
        lang: langs[0]!,
        title: `${state.conference.name} · Plenary`,
        assets,
        island: 'board',
        bodyClass: langs.length > 1 ? 'board-page bilingual' : 'board-page',
        state: { state, speech: speechOf(langs), serverNow },
        children: (
          <Langs speech={speechOf(langs)}>
            <Board state={state} serverNow={serverNow} live={live} />
          </Langs>
        ),
        after: (
          <Langs speech={speechOf(langs)}>
            <QrAside url={voteUrl} langs={langs} />
          </Langs>
        ),
      });
    },
  );
  // The staff pages. Their session lives in the browser (a bearer token, as every API
  // client has), so the server renders the page's frame and the conference's public
  // name; the island reads the rest with the token, or says who may use the page.
  app.get(
    '/sign-in',
    { schema: { hide: true, querystring: pageQuery.extend({ next: z.string().max(300).optional() }) } },
    async (req, reply) => {
      const lang = langsOf(req, reply)[0]!;
      // Only a path of this origin: never an open redirect.
      const next = /^\/((chair|desk)\/[0-9a-f-]{36}|trustee\?(vote|election)=[0-9a-f-]{36})$/.test(req.query.next ?? '')
        ? req.query.next!
        : null;
      const state: SignInPageState = { speech: speechOf([lang], true), next };
      return sendPage(req, reply, {
        lang,
        title: `${translator(lang)('signin.title')} · Plenary`,
        assets,
        staff: true,
        island: 'signin',
        state,
        children: <SignInApp {...state} />,
      });
    },
  );

  // A teller's page: the ceremony and the decryption of one encrypted vote or election.
  // Everything it shows is read by the island (GET .../tellers); the server renders the frame.
  app.get(
    '/trustee',
    {
      schema: {
        hide: true,
        querystring: pageQuery.extend({ vote: idSchema.optional(), election: idSchema.optional() }),
      },
    },
    async (req, reply) => {
      const lang = langsOf(req, reply)[0]!;
      const target: TrusteePageState['target'] = req.query.vote
        ? { kind: 'vote', id: req.query.vote }
        : req.query.election
          ? { kind: 'election', id: req.query.election }
          : null;
      const state: TrusteePageState = { speech: speechOf([lang], true), target };
      return sendPage(req, reply, {
        lang,
        title: `${translator(lang)('trustee.title')} · Plenary`,
        assets,
        staff: true,
        bodyClass: 'staff-page trustee-page',
        island: 'trustee',
        state,
        children: <TrusteeApp {...state} />,
      });
    },
  );

  for (const kind of ['chair', 'desk'] as const) {
    app.get(
      `/${kind}/:conferenceId`,
      { schema: { hide: true, params: z.strictObject({ conferenceId: idSchema }), querystring: pageQuery } },
      async (req, reply) => {
        const lang = langsOf(req, reply)[0]!;
        const found = await app.inject({ method: 'GET', url: `/api/v1/conferences/${req.params.conferenceId}` });
        // A private conference is not readable anonymously: its page still loads, named by its id.
        if (found.statusCode === 404) return notFoundPage(req, reply, assets, lang);
        const conference: Conference =
          found.statusCode === 200
            ? found.json<Conference>()
            : {
                id: req.params.conferenceId,
                name: req.params.conferenceId,
                location: null,
                startsOn: null,
                endsOn: null,
                visibility: 'private',
                currentAgendaItemId: null,
                createdAt: '',
              };
        const speech = speechOf([lang], true);
        const t = translator(lang);
        const common = { lang, assets, staff: true, bodyClass: `staff-page ${kind}-page` } as const;
        if (kind === 'chair') {
          const state = { speech, conference, serverNow: Date.now() };
          return sendPage(req, reply, {
            ...common,
            title: `${t('chair.title')} · ${conference.name}`,
            island: 'chair',
            state,
            children: <ChairApp {...state} />,
          });
        }
        // The badges' QR codes open the conference's public address (the first of
        // PUBLIC_ORIGINS behind a proxy), else the address this page was asked on.
        const publicOrigin = ctx.config.publicOrigins[0] ?? `${req.protocol}://${req.host}`;
        const state = { speech, conference, publicOrigin };
        return sendPage(req, reply, {
          ...common,
          title: `${t('desk.title')} · ${conference.name}`,
          island: 'desk',
          state,
          children: <DeskApp {...state} />,
        });
      },
    );
  }
}

/** Keys only the staff pages use: the hall's pages do not carry them in their initial state. */
const STAFF_KEYS = /^(staff|chair|desk|signin|trustee)\./;
const hallCatalogs = Object.fromEntries(
  Object.entries(CATALOGS).map(([lang, m]) => [
    lang,
    Object.fromEntries(Object.entries(m).filter(([k]) => !STAFF_KEYS.test(k))) as unknown as Messages,
  ]),
) as Record<Lang, Messages>;

const speechOf = (langs: Lang[], staff = false): Speech =>
  langs.map((lang) => ({ lang, messages: staff ? CATALOGS[lang] : hallCatalogs[lang] }));

function QrAside(props: { url: string; langs: Lang[] }) {
  const words = props.langs.map((l) => translator(l)('board.scan')).join(' / ');
  return (
    <aside class="qr" aria-label={words}>
      <div
        class="qr-code"
        role="img"
        aria-label={props.url}
        dangerouslySetInnerHTML={{ __html: renderSVG(props.url) }}
      />
      <p>
        {words}
        <br />
        <span class="qr-url">{props.url}</span>
      </p>
    </aside>
  );
}

function notFoundPage(req: FastifyRequest, reply: FastifyReply, assets: AssetManifest, lang: Lang) {
  reply.code(404);
  return sendPage(req, reply, {
    lang,
    title: 'Plenary',
    assets,
    children: (
      <p>
        <a href="/">{translator(lang)('home.title')}</a>
      </p>
    ),
  });
}

/**
 * The page's languages: `?lang=` (remembered in a cookie when it names one language),
 * else the remembered one, else the browser's Accept-Language.
 */
function langsOf(req: FastifyRequest, reply: FastifyReply, remember = true): Lang[] {
  const q = (req.query as { lang?: string }).lang;
  const cookie = /(?:^|;\s*)plenary_lang=([a-z]{2})/.exec(req.headers.cookie ?? '')?.[1];
  const accept = (req.headers['accept-language'] ?? '').split(',').map((s) => s.split(';')[0]!.trim());
  const langs = pickLangs(q, [...(isLang(cookie) ? [cookie] : []), ...accept]);
  if (remember && q && langs.length === 1) {
    reply.header('set-cookie', `${LANG_COOKIE}=${langs[0]}; Path=/; Max-Age=31536000; SameSite=Lax`);
  }
  return langs;
}

function sendPage(req: FastifyRequest, reply: FastifyReply, doc: DocumentProps) {
  const html = Buffer.from(renderDocument(doc));
  reply
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-cache')
    .header('vary', 'accept-encoding, accept-language, cookie')
    .type('text/html; charset=utf-8');
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    return reply.header('content-encoding', 'gzip').send(zlib.gzipSync(html));
  }
  return reply.send(html);
}
