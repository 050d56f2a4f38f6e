/**
 * The pages' languages (the alliance's three), for the server. Islands receive the
 * messages of their page's language(s) in the initial state instead (see translate.ts).
 */
import { en, type Messages } from './en.js';
import { fr } from './fr.js';
import { es } from './es.js';
import { isLang, makeT, type Lang, type T } from './translate.js';

export * from './translate.js';

export const CATALOGS: Record<Lang, Messages> = { en, fr, es };

export function translator(lang: Lang): T {
  return makeT(CATALOGS[lang]);
}

/**
 * The languages a page asked for: `?lang=en,fr` (the board shows two at once for a
 * bilingual hall), else the remembered or Accept-Language choice, else English.
 */
export function pickLangs(query: string | undefined, fallback: readonly string[]): Lang[] {
  const asked = (query ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(isLang);
  if (asked.length > 0) return [...new Set(asked)].slice(0, 2);
  const first = fallback.map((s) => s.slice(0, 2).toLowerCase()).find(isLang);
  return [first ?? 'en'];
}
