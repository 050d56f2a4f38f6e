/**
 * Words on a page: one language, or two at once on the board of a bilingual hall
 * (`?lang=en,fr`). <Tr> renders each language in its own element with its `lang`, so a
 * screen reader pronounces each in its own voice. The messages come with the page (the
 * server's catalogs, or the island's initial state): components import no catalog.
 */
import { createContext, type ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import { makeT, type Lang, type MessageKey, type Messages, type T, type Vars } from '../i18n/translate.js';

/** The page's languages with their messages, first language first. */
export type Speech = { lang: Lang; messages: Messages }[];
interface Speaker {
  lang: Lang;
  t: T;
}

const LangContext = createContext<Speaker[]>([]);

export function Langs(props: { speech: Speech; children: ComponentChildren }) {
  const speakers = props.speech.map((s) => ({ lang: s.lang, t: makeT(s.messages) }));
  return <LangContext.Provider value={speakers}>{props.children}</LangContext.Provider>;
}

/** A message by key, or composed from several (`fn`), in each of the page's languages. */
export function Tr(props: { k: MessageKey; vars?: Vars } | { fn: (t: T) => string }) {
  const speakers = useContext(LangContext);
  const say = (t: T) => ('fn' in props ? props.fn(t) : t(props.k, props.vars));
  if (speakers.length === 1) return <>{say(speakers[0]!.t)}</>;
  return (
    <>
      {speakers.map((s, i) => (
        <span key={s.lang} lang={s.lang} class={i === 0 ? 'l1' : 'l2'}>
          {say(s.t)}
        </span>
      ))}
    </>
  );
}

/** For attributes (aria-label) and plain strings: the languages joined by " / ". */
export function useT(): T {
  const speakers = useContext(LangContext);
  return (k, vars) => speakers.map((s) => s.t(k, vars)).join(' / ');
}

export function useLang(): Lang {
  return useContext(LangContext)[0]?.lang ?? 'en';
}
