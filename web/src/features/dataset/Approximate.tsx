import type { CurrencySum } from '../../api/types';
import { formatInteger, formatNumber } from '../../lib/format';

type WithheldSumProps = {
  /** Why the sum is withheld: "mixed currencies", "overflow". */
  reason: string;
  /** The total per currency, when the column mixes them (never added together). */
  currencies?: CurrencySum[] | undefined;
  testId?: string;
};

/** A sum the API withholds: the reason instead of a number, and the per-currency totals. */
export function WithheldSum({ reason, currencies, testId = 'withheld' }: WithheldSumProps) {
  return (
    <span className="withheld" data-testid={testId} data-reason={reason}>
      <span className="withheld__reason">withheld: {reason}</span>
      {currencies && currencies.length > 0 ? (
        <ul className="currency-sums" aria-label="Total per currency">
          {currencies.map((c) => (
            <li key={`${c.currency ?? ''}:${c.symbol ?? ''}`}>
              <span className="currency-sums__sum">
                {c.symbol ?? ''}
                {formatNumber(c.sum, { minFractionDigits: 2 })}
              </span>{' '}
              <span className="muted">
                {c.currency ?? 'no currency'} · {formatInteger(c.values)}{' '}
                {c.values === 1 ? 'value' : 'values'}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </span>
  );
}

type CountProps = {
  value: number;
  /** false: the count is an estimate (shown with ≈). */
  exact?: boolean | undefined;
};

/** A count that may be an estimate: "≈ 1,234" (read "about 1,234"). */
export function Count({ value, exact = true }: CountProps) {
  if (exact) return <>{formatInteger(value)}</>;
  return (
    <span className="approx" title="An estimate" data-approx="true">
      <span aria-hidden="true">≈ </span>
      <span className="visually-hidden">about </span>
      {formatInteger(value)}
    </span>
  );
}
