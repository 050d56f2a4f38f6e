/**
 * t() over one language's messages. Kept apart from the catalogs: the islands get their
 * page's messages in the initial state, so a bundle carries no language it does not show.
 */
import type { MessageKey, Messages } from './en.js';

export type { MessageKey, Messages };

export const LANGS = ['en', 'fr', 'es'] as const;
export type Lang = (typeof LANGS)[number];
/** Each language's own name, for the language switch. */
export const LANG_NAMES: Record<Lang, string> = { en: 'English', fr: 'Français', es: 'Español' };

export type Vars = Record<string, string | number>;
export type T = (key: MessageKey, vars?: Vars) => string;

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

export function makeT(m: Messages): T {
  return (key, vars) => {
    const s = m[key];
    return vars ? s.replace(/\{(\w+)\}/g, (all, name: string) => (name in vars ? String(vars[name]) : all)) : s;
  };
}
