/**
 * The HTML around every page. No inline script and no inline style (the CSP forbids
 * both): the island's bundle is a module script from /assets/, its initial state a
 * `<script type="application/json">` that it parses.
 */
import type { ComponentChildren } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { translator, type Lang } from '../i18n/index.js';
import type { AssetManifest, Island } from './assets.js';

import { ISLAND_ELEMENT_ID, STATE_ELEMENT_ID } from './document-ids.js';

export interface DocumentProps {
  lang: Lang;
  title: string;
  assets: AssetManifest;
  island?: Island;
  /** Handed to the island as its props; must be what the server rendered it with. */
  state?: unknown;
  /** Outside the island: rendered once, never hydrated. */
  before?: ComponentChildren;
  /** The island's server rendering. */
  children?: ComponentChildren;
  after?: ComponentChildren;
  bodyClass?: string;
  /** A staff page: also the staff stylesheet. */
  staff?: boolean;
}

/** JSON that cannot close its script element or start a comment. */
function safeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function renderDocument(p: DocumentProps): string {
  const scripts = p.island ? p.assets.islands[p.island].scripts : [];
  const html = renderToString(
    <html lang={p.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{p.title}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={p.assets.css} />
        {p.staff && <link rel="stylesheet" href={p.assets.staffCss} />}
        {scripts.slice(1).map((s) => (
          <link key={s} rel="modulepreload" href={s} />
        ))}
        {scripts[0] && <script type="module" src={scripts[0]} />}
      </head>
      <body class={p.bodyClass}>
        <a class="skip" href="#main">
          {translator(p.lang)('app.skip')}
        </a>
        {p.before}
        <main id="main">
          <div id={ISLAND_ELEMENT_ID}>{p.children}</div>
          {p.after}
        </main>
        {p.state !== undefined && (
          <script
            type="application/json"
            id={STATE_ELEMENT_ID}
            dangerouslySetInnerHTML={{ __html: safeJson(p.state) }}
          />
        )}
      </body>
    </html>,
  );
  return `<!doctype html>${html}`;
}
