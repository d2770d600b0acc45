import type { Summary } from '../../api/types';
import { SectionLink } from '../../components/SectionLink';
import { formatInteger, formatNumber, formatPercent } from '../../lib/format';
import { WithheldSum } from './Approximate';

type KpiCardsProps = { summary: Summary };

type TrendProps = { value: number | null | undefined; label: string; testId: string };

export function Trend({ value, label, testId }: TrendProps) {
  const tone =
    value === null || value === undefined
      ? 'neutral'
      : value > 0
        ? 'up'
        : value < 0
          ? 'down'
          : 'neutral';
  return (
    <span className={`trend trend--${tone}`} data-testid={testId}>
      <span aria-hidden="true">{tone === 'up' ? '▲ ' : tone === 'down' ? '▼ ' : ''}</span>
      {formatPercent(value)} <span className="muted">{label}</span>
    </span>
  );
}

/** Rows, the total of the main measure, the latest period with its growth, and YoY. */
export function KpiCards({ summary }: KpiCardsProps) {
  const rows = summary.kpis.find((k) => k.name === 'rows');
  const total = summary.kpis.find((k) => k.name === 'total');
  const rejected = summary.rows_rejected ?? 0;
  // A total the API withholds (mixed currencies, overflow) has no value, only a reason.
  const withheld = total?.value === null ? (total.withheld ?? 'not available') : null;
  const measureStats = total?.measure
    ? summary.columns.find((c) => c.name === total.measure)
    : undefined;
  return (
    <div className="kpis" data-testid="kpis">
      <article
        className="kpi"
        data-testid="kpi-rows"
        data-value={rows?.value ?? String(summary.rows)}
      >
        <h3 className="kpi__label">Rows</h3>
        <p className="kpi__value">{formatInteger(rows?.value ?? summary.rows)}</p>
        <p className="kpi__sub small muted">
          {rejected > 0 ? (
            <SectionLink to="quality" className="text-warning">
              {formatInteger(rejected)} rejected
            </SectionLink>
          ) : (
            'none rejected'
          )}
        </p>
      </article>
      <article className="kpi" data-testid="kpi-total" data-value={total?.value ?? ''}>
        <h3 className="kpi__label">Total {total?.measure ?? ''}</h3>
        <p className="kpi__value" data-testid="kpi-total-value">
          {total ? formatNumber(total.value) : '—'}
        </p>
        <div className="kpi__sub small muted">
          {withheld !== null ? (
            <WithheldSum
              reason={withheld}
              currencies={measureStats?.currencies}
              testId="kpi-total-withheld"
            />
          ) : total?.cagr !== undefined && total.cagr !== null ? (
            `CAGR ${formatPercent(total.cagr)}`
          ) : (
            'all periods'
          )}
        </div>
      </article>
      <article className="kpi" data-testid="kpi-latest" data-value={total?.period_value ?? ''}>
        <h3 className="kpi__label">Latest period{total?.period ? ` (${total.period})` : ''}</h3>
        <p className="kpi__value">{total?.period_value ? formatNumber(total.period_value) : '—'}</p>
        <p className="kpi__sub small">
          {withheld !== null ? (
            <span className="muted">withheld: {withheld}</span>
          ) : (
            <Trend value={total?.growth} label="vs previous" testId="kpi-growth" />
          )}
        </p>
      </article>
      <article className="kpi" data-testid="kpi-yoy" data-value={total?.yoy ?? ''}>
        <h3 className="kpi__label">Year over year</h3>
        <p className="kpi__value">{formatPercent(total?.yoy)}</p>
        <p className="kpi__sub small muted">
          {withheld !== null
            ? `withheld: ${withheld}`
            : total?.period
              ? `${total.period} vs a year before`
              : 'needs a date column'}
        </p>
      </article>
    </div>
  );
}
