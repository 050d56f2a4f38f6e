/**
 * `/receipt`: paste or open a receipt link; every check runs here, in the browser
 * (client/receipt-check.ts), and each is shown as passed or failed, in words and a mark.
 */
import { useEffect, useState } from 'preact/hooks';
import { Langs, Tr, useT, type Speech } from './lang.js';
import { LangSwitch } from './lang-switch.js';
import type { ReceiptOutcome, CheckId } from '../client/receipt-check.js';

export interface ReceiptPageState {
  speech: Speech;
}

/** The checks, passed in by the island (the server rendering has none: it never checks). */
export interface ReceiptChecker {
  parse(input: string): { voteId: string; receipt: string } | null;
  check(voteId: string, receipt: string): Promise<ReceiptOutcome>;
}

const LABEL = {
  recorded: 'receipt.recorded',
  leaf: 'receipt.leaf',
  proof: 'receipt.proof',
  signature: 'receipt.signature',
  signed: 'receipt.signed',
} as const satisfies Record<CheckId, string>;

type View =
  | { kind: 'idle' }
  | { kind: 'checking' }
  | { kind: 'invalid' }
  | { kind: 'unreachable' }
  | { kind: 'done'; outcome: ReceiptOutcome };

export function ReceiptApp(props: ReceiptPageState & { checker?: ReceiptChecker }) {
  return (
    <Langs speech={props.speech}>
      <ReceiptForm {...props} />
    </Langs>
  );
}

function ReceiptForm(props: ReceiptPageState & { checker?: ReceiptChecker }) {
  const t = useT();
  const [input, setInput] = useState('');
  const [view, setView] = useState<View>({ kind: 'idle' });
  const checker = props.checker;

  const run = async (text: string) => {
    if (!checker) return;
    const parsed = checker.parse(text);
    if (!parsed) {
      setView({ kind: 'invalid' });
      return;
    }
    setView({ kind: 'checking' });
    try {
      setView({ kind: 'done', outcome: await checker.check(parsed.voteId, parsed.receipt) });
    } catch {
      setView({ kind: 'unreachable' });
    }
  };

  useEffect(() => {
    if (location.hash.length > 1) {
      setInput(location.href);
      void run(location.href);
    }
  }, []);

  const outcome = view.kind === 'done' ? view.outcome : null;
  const allOk = outcome !== null && outcome.checks.every((c) => c.ok);
  return (
    <div class="page narrow">
      <header class="page-head">
        <a class="brand" href="/">
          Plenary
        </a>
        <LangSwitch path="/receipt" />
      </header>
      <h1>
        <Tr k="receipt.title" />
      </h1>
      <p>
        <Tr k="receipt.intro" />
      </p>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void run(input);
        }}
      >
        <label for="receipt-input">
          <Tr k="receipt.link" />
        </label>
        <input
          id="receipt-input"
          name="receipt"
          type="text"
          autocomplete="off"
          spellcheck={false}
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
        />
        <button type="submit" class="button primary">
          <Tr k="receipt.check" />
        </button>
      </form>
      <div role="status" aria-live="polite" class="receipt-status">
        {view.kind === 'checking' && <p>{t('receipt.checking')}</p>}
        {view.kind === 'invalid' && <p class="bad">{t('receipt.invalid')}</p>}
        {view.kind === 'unreachable' && <p class="bad">{t('receipt.unreachable')}</p>}
        {outcome && (
          <>
            <p class={allOk ? 'verdict good' : 'verdict bad'}>
              {outcome.voteState === 'open' && allOk
                ? t('receipt.open')
                : allOk
                  ? t('receipt.allPassed')
                  : t('receipt.someFailed')}
            </p>
            <ul class="checks">
              {outcome.checks.map((c) => (
                <li key={c.id} class={c.ok ? 'check ok' : 'check failed'} data-check={c.id}>
                  <span aria-hidden="true" class="mark">
                    {c.ok ? '✓' : '✗'}
                  </span>{' '}
                  {t(LABEL[c.id])}: <strong>{c.ok ? t('receipt.passed') : t('receipt.failed')}</strong>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}
