/**
 * What a vote's card and an election's card on the phone (`/vote`) show alike: the review and
 * its buttons, the outcome of a Benaloh check of an encrypted ballot, and a receipt.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { StoredReceipt } from '../client/outbox.js';
import { Tr, useT } from './lang.js';
import type { CheckedBallot } from './vote-app.js';

/**
 * The outcome of a Benaloh check, announced politely: the ballot it opened is spoilt, never
 * cast. `holds` says in words what an opened ballot held (a vote's choice, an election's marks).
 */
export function CheckResult(props: {
  checked: CheckedBallot[] | 'checking' | 'failed' | null;
  holds(b: CheckedBallot): string;
}) {
  const t = useT();
  const c = props.checked;
  return (
    <div class="check-result" role="status" aria-live="polite">
      {c === 'checking' && <p class="pending">{t('e2e.checking')}</p>}
      {c === 'failed' && <p class="bad">{t('e2e.checkFailed')}</p>}
      {Array.isArray(c) && (
        <>
          {c.map((b) =>
            b.opened ? (
              <p key={b.seatId} class="checked" data-checked={b.seatId}>
                <strong>{b.seatLabel}:</strong> {props.holds(b)}
              </p>
            ) : (
              <p key={b.seatId} class="bad">
                <strong>{b.seatLabel}:</strong> {t('e2e.doesNotOpen')}
              </p>
            ),
          )}
          <p class="muted">{t('e2e.spoilt')}</p>
          <details>
            <summary>{t('e2e.audit')}</summary>
            {c.map((b) => (
              <pre key={b.seatId} class="audit">
                {b.audit}
              </pre>
            ))}
          </details>
        </>
      )}
    </div>
  );
}

/**
 * A receipt in groups of eight (readable aloud, comparable by eye), copyable; a vote's with
 * its check link. An election's has none: /receipt checks a receipt against a vote's signed
 * record and does not read an election's.
 */
export function ReceiptCode(props: { receipt: StoredReceipt }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  const r = props.receipt.receipt;
  const checkable = props.receipt.target !== 'election';
  return (
    <div class="receipt">
      <p>
        <span class="muted">{t('vote.receipt')}: </span>
        <code class="receipt-code" data-receipt={r}>
          {r.match(/.{1,8}/g)?.join(' ')}
        </code>
      </p>
      <p class="receipt-actions">
        <button
          type="button"
          class="button"
          onClick={() => {
            void navigator.clipboard?.writeText(r).then(() => setCopied(true));
          }}
        >
          {copied ? t('vote.copied') : t('vote.copy')}
        </button>
        {checkable && (
          <>
            {' '}
            <a href={`/receipt#vote=${props.receipt.voteId}&receipt=${r}`}>{t('vote.checkReceipt')}</a>
          </>
        )}
      </p>
    </div>
  );
}

/**
 * The review under a card's seats, and its buttons: one line per seat about to be cast,
 * what stops the cast (`notes`), "Check this ballot" for an encrypted ballot, and Cast.
 */
export function Review(props: {
  lines: { key: string; text: string }[];
  notes?: ComponentChildren;
  /** Shown only for an encrypted ballot; the check's outcome follows the buttons. */
  check: { onCheck(): void; checking: boolean; result: ComponentChildren } | null;
  disabled: boolean;
  onCast(): void;
}) {
  return (
    <div class="review">
      <h3>
        <Tr k="vote.review" />
      </h3>
      {props.lines.length === 0 ? (
        <p class="muted">
          <Tr k="vote.reviewNothing" />
        </p>
      ) : (
        <ul>
          {props.lines.map((l) => (
            <li key={l.key}>{l.text}</li>
          ))}
        </ul>
      )}
      {props.notes}
      {props.check && (
        <button
          type="button"
          class="button"
          disabled={props.disabled || props.check.checking}
          onClick={props.check.onCheck}
        >
          <Tr k="e2e.check" />
        </button>
      )}{' '}
      <button type="button" class="button primary big" disabled={props.disabled} onClick={props.onCast}>
        <Tr k="vote.cast" />
      </button>
      {props.check?.result}
    </div>
  );
}
