/** Links to the same page in each language (the server remembers the choice in a cookie). */
import { LANGS, LANG_NAMES } from '../i18n/translate.js';
import { useLang, useT } from './lang.js';

export function LangSwitch(props: { path: string }) {
  const t = useT();
  const current = useLang();
  return (
    <nav class="langs" aria-label={t('lang.choose')}>
      <ul>
        {LANGS.map((l) => (
          <li key={l}>
            <a href={`${props.path}?lang=${l}`} lang={l} hrefLang={l} aria-current={l === current ? 'true' : undefined}>
              {LANG_NAMES[l]}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
