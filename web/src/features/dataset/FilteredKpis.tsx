import type { Schema, Summary } from '../../api/types';
import { Skeleton } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { SnapshotPending } from '../../components/SnapshotPending';
import { formatInteger, formatNumber, formatPercent } from '../../lib/format';
import { isWaitingForSnapshot } from '../../lib/snapshotRetry';
import type { PanelFilters } from '../explore/filteredInsights';
import { measureNames, numeric } from '../explore/queries';
import { Trend } from './KpiCards';
import { useFilteredTotals, useTimeSeries } from './useInsights';

type FilteredKpisProps = {
  datasetId: string;
  version: number;
  schema: Schema;
  summary: Summary | undefined;
  view: PanelFilters;
};

/**
 * The key figures of the rows the filters keep: how many of all, the total of the main measure,
 * its latest month with growth and YoY (from POST /query, as the summary computes them).
 */
export function FilteredKpis({ datasetId, version, schema, summary, view }: FilteredKpisProps) {
  const main = schema.columns.find((c) => c.name === schema.main_measure);
  const withheld = main?.sum_withheld;
  const summed = main && !withheld ? main.name : undefined;
  const totals = useFilteredTotals(datasetId, version, schema, view.filters);
  const time = schema.primary_time ?? undefined;
  const monthly = useTimeSeries(
    datasetId,
    version,
    { time, measure: summed, agg: summed ? 'sum' : 'count', interval: 'month', compare: 'yoy' },
    time !== undefined,
    view,
  );
  const waiting = isWaitingForSnapshot(totals);
  if (totals.isPending)
    return waiting ? (
      <SnapshotPending height={112} />
    ) : (
      <Skeleton height={112} label="Loading key figures…" />
    );
  if (totals.isError)
    return (
      <ProblemAlert
        error={totals.error}
        context="Could not load the key figures of the filtered rows"
        onRetry={() => void totals.refetch()}
      />
    );
  const result = totals.data;
  const all = summary?.rows ?? result.provenance.rows;
  const row = result.rows[0];
  const total = summed && row ? numeric(row[measureNames(schema).value]) : null;
  const latest = [...(monthly.data?.points ?? [])].reverse().find((p) => p.count > 0);
  return (
    <>
      {waiting ? <SnapshotPending /> : null}
      <div
        className={totals.isPlaceholderData ? 'kpis is-stale' : 'kpis'}
        data-testid="kpis"
        data-filtered="true"
      >
        <article className="kpi" data-testid="kpi-rows" data-value={String(result.rows_matched)}>
          <h3 className="kpi__label">Rows matching</h3>
          <p className="kpi__value">{formatInteger(result.rows_matched)}</p>
          <p className="kpi__sub small muted">
            of {formatInteger(all)} (
            {formatPercent(all > 0 ? result.rows_matched / all : null, { signed: false })})
          </p>
        </article>
        <article className="kpi" data-testid="kpi-total" data-value={total ?? ''}>
          <h3 className="kpi__label">Total {main?.name ?? ''}</h3>
          <p className="kpi__value" data-testid="kpi-total-value">
            {formatNumber(total)}
          </p>
          <p className="kpi__sub small muted">
            {withheld ? `withheld: ${withheld}` : main ? 'of the rows matching' : 'no measure'}
          </p>
        </article>
        <article className="kpi" data-testid="kpi-latest" data-value={latest?.value ?? ''}>
          <h3 className="kpi__label">Latest period{latest ? ` (${latest.period})` : ''}</h3>
          <p className="kpi__value">{latest ? formatNumber(latest.value) : '—'}</p>
          <p className="kpi__sub small">
            <Trend value={latest?.growth} label="vs previous" testId="kpi-growth" />
          </p>
        </article>
        <article className="kpi" data-testid="kpi-yoy" data-value={latest?.yoy ?? ''}>
          <h3 className="kpi__label">Year over year</h3>
          <p className="kpi__value">{formatPercent(latest?.yoy)}</p>
          <p className="kpi__sub small muted">
            {latest
              ? `${latest.period} vs a year before`
              : time
                ? 'no dated row matches'
                : 'needs a date column'}
          </p>
        </article>
      </div>
    </>
  );
}
