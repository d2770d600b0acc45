import { useId, useMemo } from 'react';
import { downloadInsightCsv } from '../../api/insights';
import {
  AGGREGATIONS,
  INTERVALS,
  type Aggregation,
  type Interval,
  type Schema,
} from '../../api/types';
import { DownloadButton } from '../../components/DownloadButton';
import { EChart } from '../../components/EChart';
import { EmptyState } from '../../components/EmptyState';
import { Skeleton } from '../../components/Loading';
import { SnapshotPending } from '../../components/SnapshotPending';
import { Panel, TableView } from '../../components/Panel';
import { formatInteger, formatNumber, formatPercent } from '../../lib/format';
import { isWaitingForSnapshot } from '../../lib/snapshotRetry';
import type { PanelFilters } from '../explore/filteredInsights';
import { useUrlParam } from '../explore/useViewState';
import { growthOption, trendOption } from './chartOptions';
import {
  AggregationSelect,
  ColumnSelect,
  InsightProblem,
  IntervalSelect,
  MeasureSelect,
} from './controls';
import { FilteredTag } from './FilteredTag';
import { measureLabel } from './labels';
import { defaultAggregation, defaultMeasure } from './measures';
import { useTimeSeries } from './useInsights';

type TrendPanelProps = {
  datasetId: string;
  version: number;
  schema: Schema;
  /** The view's filters: with any, the trend comes from POST /query. */
  view?: PanelFilters | undefined;
};

export function TrendPanel({ datasetId, version, schema, view }: TrendPanelProps) {
  const timeColumns = schema.columns.filter((c) => c.role === 'time');
  const measures = schema.columns.filter((c) => c.role === 'measure');
  // The panel's choices live in the URL (t.*), so a reload or a link shows the same trend.
  const [time, setTime] = useUrlParam(
    't.time',
    schema.primary_time ?? timeColumns[0]?.name ?? '',
    timeColumns.map((c) => c.name),
  );
  const [measure, setMeasure] = useUrlParam(
    't.m',
    defaultMeasure(schema),
    measures.map((c) => c.name),
  );
  const [agg, setAgg] = useUrlParam<Aggregation>(
    't.agg',
    defaultAggregation(schema),
    measures.length > 0 ? AGGREGATIONS : ['count'],
  );
  const [interval, changeInterval] = useUrlParam<Interval>('t.i', 'month', INTERVALS);
  const [yoy, setYoy] = useUrlParam('t.yoy', '0', ['0', '1']);
  const compare = yoy === '1';
  const compareId = useId();

  const params = useMemo(
    () => ({
      time: time || undefined,
      measure: agg === 'count' ? undefined : measure || undefined,
      agg,
      interval,
      compare: compare ? ('yoy' as const) : undefined,
    }),
    [time, measure, agg, interval, compare],
  );
  const hasTime = timeColumns.length > 0;
  const query = useTimeSeries(datasetId, version, params, hasTime, view);
  const label = measureLabel(agg, params.measure);
  const data = query.data;
  const trend = useMemo(
    () => (data ? trendOption(data, label, compare) : null),
    [data, label, compare],
  );
  const growth = useMemo(() => (data ? growthOption(data) : null), [data]);
  const points = data?.points ?? [];

  const controls = hasTime ? (
    <div className="controls" role="group" aria-label="Trend options">
      {timeColumns.length > 1 ? (
        <ColumnSelect label="Date" columns={timeColumns} value={time} onChange={setTime} />
      ) : null}
      <MeasureSelect
        measures={measures}
        measure={measure}
        agg={agg}
        onChange={setMeasure}
        testId="trend-measure"
      />
      <AggregationSelect
        options={AGGREGATIONS}
        hasMeasures={measures.length > 0}
        value={agg}
        onChange={setAgg}
        testId="trend-agg"
      />
      <IntervalSelect
        options={INTERVALS}
        value={interval}
        onChange={changeInterval}
        testId="trend-interval"
      />
      <div className="control control--check">
        <input
          id={compareId}
          type="checkbox"
          checked={compare}
          onChange={(e) => setYoy(e.target.checked ? '1' : '0')}
        />
        <label htmlFor={compareId}>Compare with previous year</label>
      </div>
    </div>
  ) : null;

  return (
    <Panel
      id="trend"
      title="Trend"
      description={
        hasTime ? (
          <>
            {label} by {interval} of <code>{time}</code>
            <FilteredTag view={view} />
            {data ? (
              <>
                {' · '}total <strong>{formatNumber(data.total)}</strong>
                {data.cagr !== null ? (
                  <>
                    {' · '}CAGR <strong>{formatPercent(data.cagr)}</strong>
                  </>
                ) : null}
              </>
            ) : null}
          </>
        ) : undefined
      }
      testId="trend-panel"
    >
      {controls}
      {!hasTime ? (
        <EmptyState title="No date column">
          <p>
            The trend needs a date or timestamp column. If one was read as text, change its type
            with Column settings in Columns below.
          </p>
        </EmptyState>
      ) : null}
      {hasTime && isWaitingForSnapshot(query) ? (
        <SnapshotPending />
      ) : hasTime && query.isPending ? (
        <Skeleton label="Loading the trend…" />
      ) : null}
      {query.isError ? (
        <InsightProblem
          error={query.error}
          context="Could not load the trend"
          onRetry={() => void query.refetch()}
          onCountRows={() => setAgg('count')}
        />
      ) : null}
      {data?.overflow ? (
        <p className="note" data-testid="trend-overflow">
          Some sums are beyond the exact range (±1.7 × 10²⁹) and are left out: those periods show no
          value.
        </p>
      ) : null}
      {data && points.length === 0 ? (
        <EmptyState title="No data in this range">
          <p>
            {view && view.filters.length > 0
              ? 'No row with a date matches the filters.'
              : 'Every value of this column is empty.'}
          </p>
        </EmptyState>
      ) : null}
      {data && trend && growth && points.length > 0 ? (
        <div
          className={query.isPlaceholderData ? 'is-stale' : undefined}
          aria-busy={query.isFetching}
        >
          <EChart
            option={trend}
            label={`${label} by ${interval}, ${points.length} periods`}
            testId="trend-chart"
            data={{ points: points.length, interval: data.interval ?? interval }}
          />
          <h3 className="subheading">Growth rate vs the previous period</h3>
          <EChart
            option={growth}
            height={180}
            label={`Growth rate by ${interval}`}
            testId="growth-chart"
            data={{ points: points.length }}
          />
          <div className="panel__footer">
            <TableView caption={`${label} by ${interval}`} testId="trend-table">
              <thead>
                <tr>
                  <th scope="col">Period</th>
                  <th scope="col" className="num">
                    Value
                  </th>
                  <th scope="col" className="num">
                    Rows
                  </th>
                  <th scope="col" className="num">
                    Growth
                  </th>
                  {compare ? (
                    <>
                      <th scope="col" className="num">
                        Previous year
                      </th>
                      <th scope="col" className="num">
                        YoY
                      </th>
                    </>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {points.map((p) => (
                  <tr key={p.period}>
                    <th scope="row">{p.period}</th>
                    <td className="num">{formatNumber(p.value)}</td>
                    <td className="num">{formatInteger(p.count)}</td>
                    <td className="num">{formatPercent(p.growth)}</td>
                    {compare ? (
                      <>
                        <td className="num">{formatNumber(p.previous)}</td>
                        <td className="num">{formatPercent(p.yoy)}</td>
                      </>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </TableView>
            <DownloadButton
              label="CSV"
              fallbackName={`${datasetId}-timeseries.csv`}
              fetchFile={() => downloadInsightCsv(datasetId, 'timeseries', { ...params, version })}
            />
          </div>
        </div>
      ) : null}
    </Panel>
  );
}
