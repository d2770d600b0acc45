import { useMemo } from 'react';
import { downloadInsightCsv } from '../../api/insights';
import {
  BREAKDOWN_AGGREGATIONS,
  BREAKDOWN_INTERVALS,
  type BreakdownAggregation,
  type BreakdownInterval,
  type Schema,
} from '../../api/types';
import { DownloadButton } from '../../components/DownloadButton';
import { EChart, type ChartClick } from '../../components/EChart';
import { EmptyState } from '../../components/EmptyState';
import { Skeleton } from '../../components/Loading';
import { SnapshotPending } from '../../components/SnapshotPending';
import { Panel, TableView } from '../../components/Panel';
import { formatNumber } from '../../lib/format';
import { isWaitingForSnapshot } from '../../lib/snapshotRetry';
import { drillFilter, type Filter } from '../explore/filters';
import type { PanelFilters } from '../explore/filteredInsights';
import { useUrlParam } from '../explore/useViewState';
import { breakdownOption, otherValues } from './chartOptions';
import {
  AggregationSelect,
  ColumnSelect,
  ControlSelect,
  InsightProblem,
  IntervalSelect,
  MeasureSelect,
} from './controls';
import { FilteredTag } from './FilteredTag';
import { intervalLabel, measureLabel } from './labels';
import { defaultAggregation, defaultMeasure } from './measures';
import { useBreakdown } from './useInsights';

type BreakdownPanelProps = {
  datasetId: string;
  version: number;
  schema: Schema;
  /** The view's filters: with any, the breakdown comes from POST /query. */
  view?: PanelFilters | undefined;
  /** A click on a series (or its column in the table) filters the view to that group. */
  onDrill?: ((filter: Filter) => void) | undefined;
};

const STYLES = ['bar', 'area'] as const;

/** The top groups of a dimension over time, stacked. */
export function BreakdownPanel({ datasetId, version, schema, view, onDrill }: BreakdownPanelProps) {
  const dimensions = schema.columns.filter((c) => c.role === 'dimension');
  const measures = schema.columns.filter((c) => c.role === 'measure');
  const hasTime = schema.columns.some((c) => c.role === 'time');
  // The panel's choices live in the URL (b.*), so a reload or a link shows the same breakdown.
  const [dimension, setDimension] = useUrlParam(
    'b.by',
    dimensions[1]?.name ?? dimensions[0]?.name ?? '',
    dimensions.map((c) => c.name),
  );
  const [measure, setMeasure] = useUrlParam(
    'b.m',
    defaultMeasure(schema),
    measures.map((c) => c.name),
  );
  const [agg, setAgg] = useUrlParam<BreakdownAggregation>(
    'b.agg',
    defaultAggregation(schema),
    measures.length > 0 ? BREAKDOWN_AGGREGATIONS : ['count'],
  );
  const [interval, changeInterval] = useUrlParam<BreakdownInterval>(
    'b.i',
    'quarter',
    BREAKDOWN_INTERVALS,
  );
  const [style, setStyle] = useUrlParam('b.chart', 'bar', STYLES);

  const params = useMemo(
    () =>
      dimension && hasTime
        ? {
            dimension,
            time: schema.primary_time ?? undefined,
            measure: agg === 'count' ? undefined : measure || undefined,
            agg,
            interval,
            limit: 6,
          }
        : null,
    [dimension, hasTime, schema.primary_time, measure, agg, interval],
  );
  const query = useBreakdown(datasetId, version, params, view);
  const data = query.data;
  const label = measureLabel(agg, params?.measure);
  const option = useMemo(() => (data ? breakdownOption(data, style) : null), [data, style]);
  const other = data ? otherValues(data) : null;
  const drill = (key: string | null) => onDrill?.(drillFilter(dimension, key));
  // The series are drawn in order, "Other" last: a click on one of them drills into its group.
  const onSeriesClick = (item: ChartClick) => {
    const series =
      item.componentType === 'series' && item.seriesIndex !== undefined
        ? data?.series[item.seriesIndex]
        : undefined;
    if (series) drill(series.key);
  };

  if (dimensions.length === 0 || !hasTime) {
    return (
      <Panel id="breakdown" title="Breakdown over time" testId="breakdown-panel">
        <EmptyState title={hasTime ? 'No dimension columns' : 'No date column'}>
          <p>The breakdown needs both a date column and a dimension column.</p>
        </EmptyState>
      </Panel>
    );
  }

  return (
    <Panel
      id="breakdown"
      title="Breakdown over time"
      description={
        <>
          {label} by <code>{dimension}</code>, {intervalLabel(interval).toLowerCase()}
          {data?.partial ? ' (top groups only)' : ''}
          <FilteredTag view={view} />
        </>
      }
      testId="breakdown-panel"
    >
      <div className="controls" role="group" aria-label="Breakdown options">
        <ColumnSelect
          label="Split by"
          columns={dimensions}
          value={dimension}
          onChange={setDimension}
        />
        <MeasureSelect measures={measures} measure={measure} agg={agg} onChange={setMeasure} />
        <AggregationSelect
          options={BREAKDOWN_AGGREGATIONS}
          hasMeasures={measures.length > 0}
          value={agg}
          onChange={setAgg}
        />
        <IntervalSelect options={BREAKDOWN_INTERVALS} value={interval} onChange={changeInterval} />
        <ControlSelect
          label="Chart"
          value={style}
          onChange={(e) => setStyle(e.target.value as (typeof STYLES)[number])}
        >
          <option value="bar">Stacked bars</option>
          <option value="area">Stacked area</option>
        </ControlSelect>
      </div>
      {isWaitingForSnapshot(query) ? (
        <SnapshotPending />
      ) : query.isPending ? (
        <Skeleton label="Loading the breakdown…" />
      ) : null}
      {query.isError ? (
        <InsightProblem
          error={query.error}
          context="Could not load the breakdown"
          onRetry={() => void query.refetch()}
          onCountRows={() => setAgg('count')}
        />
      ) : null}
      {data?.periods.length === 0 ? <EmptyState title="No data to break down" /> : null}
      {data && option && data.periods.length > 0 ? (
        <div
          className={query.isPlaceholderData ? 'is-stale' : undefined}
          aria-busy={query.isFetching}
        >
          <EChart
            option={option}
            height={320}
            label={`${label} by ${dimension} over time${onDrill ? ' (select a series to filter by it)' : ''}`}
            testId="breakdown-chart"
            data={{
              series: data.series.length + (other ? 1 : 0),
              periods: data.periods.length,
              other: other ? 1 : 0,
            }}
            onItemClick={onDrill ? onSeriesClick : undefined}
          />
          <div className="panel__footer">
            <TableView caption={`${label} by ${dimension} and period`} testId="breakdown-table">
              <thead>
                <tr>
                  <th scope="col">Period</th>
                  {data.series.map((s) => (
                    <th scope="col" className="num" key={s.key ?? '\u0000null'}>
                      {onDrill ? (
                        <button
                          type="button"
                          className="link-button"
                          onClick={() => drill(s.key)}
                          aria-label={`Filter by ${dimension} ${s.key === null ? 'empty' : `= ${s.key}`}`}
                          data-testid="drill-series"
                        >
                          {s.key ?? '(empty)'}
                        </button>
                      ) : (
                        (s.key ?? '(empty)')
                      )}
                    </th>
                  ))}
                  {other ? (
                    <th scope="col" className="num cell--other">
                      Other
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {data.periods.map((period, i) => (
                  <tr key={period}>
                    <th scope="row">{period}</th>
                    {data.series.map((s) => (
                      <td className="num" key={s.key ?? '\u0000null'}>
                        {formatNumber(s.values[i] ?? null)}
                      </td>
                    ))}
                    {other ? (
                      <td className="num cell--other">{formatNumber(other[i] ?? null)}</td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </TableView>
            {params ? (
              <DownloadButton
                label="CSV"
                fallbackName={`${datasetId}-breakdown-${dimension}.csv`}
                fetchFile={() => downloadInsightCsv(datasetId, 'breakdown', { ...params, version })}
              />
            ) : null}
          </div>
        </div>
      ) : null}
    </Panel>
  );
}
