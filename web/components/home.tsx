/** `/`: the public conferences, each linking to its board, and "Vote" for delegates. */
import type { Conference } from './api-types.js';
import { Tr } from './lang.js';
import { LangSwitch } from './lang-switch.js';

export function Home(props: { conferences: Conference[] }) {
  return (
    <div class="page narrow">
      <header class="page-head">
        <p class="brand">Plenary</p>
        <LangSwitch path="/" />
      </header>
      <h1>
        <Tr k="home.title" />
      </h1>
      <p>
        <Tr k="home.intro" />
      </p>
      <p>
        <a class="button primary" href="/vote">
          <Tr k="home.vote" />
        </a>
      </p>
      {props.conferences.length === 0 ? (
        <p class="muted">
          <Tr k="home.none" />
        </p>
      ) : (
        <ul class="cards">
          {props.conferences.map((c) => (
            <li key={c.id} class="card">
              <h2>{c.name}</h2>
              {(c.location || c.startsOn) && (
                <p class="muted">
                  {[c.location, c.startsOn && c.endsOn ? `${c.startsOn} – ${c.endsOn}` : c.startsOn]
                    .filter(Boolean)
                    .join(' · ')}
                </p>
              )}
              <a href={`/board/${c.id}`}>
                <Tr k="home.board" />
                <span class="visually-hidden">: {c.name}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
      <p>
        <a href="/receipt">
          <Tr k="home.receipt" />
        </a>
      </p>
    </div>
  );
}
