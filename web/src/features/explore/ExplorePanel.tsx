import { useId, useMemo } from 'react';
import { toApiError } from '../../api/errors';
import { downloadParquet, downloadQueryCsv } from '../../api/insights';
import {
  INTERVALS,
  QUERY_AGGREGATIONS,
  type Interval,
  type QueryAggregation,
  type QueryCell,
  type QueryColumn,
  type QueryFilter,
  type QueryResult,
  type Schema,
  type SchemaColumn,
  type VersionSnapshot,
} from '../../api/types';
import { DownloadButton } from '../../components/DownloadButton';
import { EChart } from '../../components/EChart';
import { EmptyState } from '../../components/EmptyState';
import { Skeleton } from '../../components/Loading';
import { Panel } from '../../components/Panel';
import { ProblemAlert } from '../../components/ProblemAlert';
import { SnapshotPending } from '../../components/SnapshotPending';
import { formatInteger, formatNumber } from '../../lib/format';
import { isWaitingForSnapshot } from '../../lib/snapshotRetry';
import { ControlSelect } from '../dataset/controls';
import { intervalLabel, queryAggregationLabel } from '../dataset/labels';
import { useDatasetQuery } from '../dataset/useInsights';
import { exploreChart } from './exploreChart';
import { fieldMessage, placedErrors } from './fieldErrors';
import { columnsForAggregation, exploreMeasureNames, exploreQuery, needsColumn } from './queries';
import { EXPLORE_LIMITS, MAX_EXPLORE_MEASURES, type ExploreSettings } from './urlState';

type ExplorePanelProps = {
  datasetId: string;
  version: number;
  schema: Schema;
  settings: ExploreSettings;
  onChange: (next: ExploreSettings) => void;
  /** The view's filters (chips, drill-down, date range). */
  filters: QueryFilter[];
  /**
   * The version's snapshot, which the query and the export read, when known (the dataset's latest
   * version): the Parquet export waits while it is written.
   */
  snapshot?: VersionSnapshot | null | undefined;
};

const ROLE_GROUPS = [
  ['dimension', 'Dimensions'],
  ['time', 'Dates'],
  ['identifier', 'Identifiers'],
  ['measure', 'Measures'],
] as const;

function ColumnOptions({ columns }: { columns: SchemaColumn[] }) {
  return (
    <>
      {ROLE_GROUPS.map(([role, title]) => {
        const list = columns.filter((c) => c.role === role);
        return list.length > 0 ? (
          <optgroup key={role} label={title}>
            {list.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </optgroup>
        ) : null;
      })}
    </>
  );
}

/**
 * A cell for people. Exact decimals keep their column's scale (sums, minima and maxima of a
 * decimal column: 170,953.00); averages and percentiles up to 4 decimals.
 */
function cellText(cell: QueryCell | undefined, column: QueryColumn, scale?: number): string {
  if (cell === null || cell === undefined) return column.kind === 'measure' ? '—' : '(empty)';
  if (typeof cell === 'boolean') return cell ? 'true' : 'false';
  if (column.kind === 'measure' && typeof cell === 'number') {
    if (scale !== undefined)
      return formatNumber(cell, { maxFractionDigits: scale, minFractionDigits: scale });
    return formatNumber(cell, { maxFractionDigits: column.type === 'float' ? 4 : 2 });
  }
  return String(cell);
}

/** The decimal scale of each measure that keeps its column's exact digits, by measure name. */
function measureScales(schema: Schema, settings: ExploreSettings): Map<string, number> {
  const names = exploreMeasureNames(settings);
  const scales = new Map<string, number>();
  settings.measures.forEach((m, i) => {
    const column = schema.columns.find((c) => c.name === m.column);
    const name = names[i];
    if (
      name !== undefined &&
      column?.type === 'decimal' &&
      column.scale !== undefined &&
      (m.agg === 'sum' || m.agg === 'min' || m.agg === 'max')
    )
      scales.set(name, column.scale);
  });
  return scales;
}

/**
 * Explore: group by up to two columns, bucket by time, aggregate one or more measures over the
 * rows the filters keep; a chart, a table, and the answer as CSV.
 */
export function ExplorePanel({
  datasetId,
  version,
  schema,
  settings,
  onChange,
  filters,
  snapshot,
}: ExplorePanelProps) {
  const id = useId();
  const body = useMemo(() => exploreQuery(settings, filters), [settings, filters]);
  const query = useDatasetQuery(datasetId, version, body);
  const error = query.isError ? query.error : null;
  const waiting = isWaitingForSnapshot(query);
  const data = query.data;
  const chart = useMemo(() => (data ? exploreChart(data) : null), [data]);
  const timeColumns = schema.columns.filter((c) => c.type === 'date' || c.type === 'timestamp');
  const names = exploreMeasureNames(settings);
  const update = (patch: Partial<ExploreSettings>) => onChange({ ...settings, ...patch });
  const [first = '', second = ''] = settings.groupBy;

  const setGroup = (index: 0 | 1, column: string) => {
    const next = [first, second];
    next[index] = column;
    const groupBy = (column === '' && index === 0 ? [next[1] ?? ''] : next).filter(
      (c, i, all) => c !== '' && all.indexOf(c) === i,
    );
    const sort =
      settings.sort && settings.groupBy.includes(settings.sort.by) ? null : settings.sort;
    update({ groupBy, sort });
  };

  const setMeasure = (index: number, agg: QueryAggregation, column: string) => {
    const allowed = columnsForAggregation(schema, agg);
    let chosen: string | undefined = column;
    if (!allowed.some((c) => c.name === chosen))
      chosen = needsColumn(agg) ? allowed[0]?.name : undefined;
    if (chosen === '') chosen = needsColumn(agg) ? allowed[0]?.name : undefined;
    const measures = settings.measures.map((m, i) => (i === index ? { agg, column: chosen } : m));
    update({ measures, sort: null });
  };

  const sortOptions = [
    ...settings.groupBy,
    ...(settings.time ? ['period'] : []),
    ...names.filter((n, i) => names.indexOf(n) === i),
  ];
  const placed = placedErrors(error);

  return (
    <Panel
      id="explore"
      title="Explore"
      description="Group, bucket by time and aggregate the rows the filters keep."
      testId="explore-panel"
    >
      <form
        className="explore-form"
        aria-label="Explore settings"
        onSubmit={(e) => e.preventDefault()}
      >
        <div className="controls" role="group" aria-label="Groups and time">
          <ControlSelect
            label="Group by"
            value={first}
            onChange={(e) => setGroup(0, e.target.value)}
            error={fieldMessage(error, 'group_by.0') ?? fieldMessage(error, 'group_by')}
            testId="explore-group-1"
          >
            <option value="">(none)</option>
            <ColumnOptions columns={schema.columns} />
          </ControlSelect>
          <ControlSelect
            label="Then by"
            value={second}
            disabled={first === ''}
            onChange={(e) => setGroup(1, e.target.value)}
            error={fieldMessage(error, 'group_by.1')}
            testId="explore-group-2"
          >
            <option value="">(none)</option>
            <ColumnOptions columns={schema.columns.filter((c) => c.name !== first)} />
          </ControlSelect>
          <ControlSelect
            label="Time bucket"
            value={settings.time?.column ?? ''}
            onChange={(e) =>
              update({
                time: e.target.value
                  ? { column: e.target.value, interval: settings.time?.interval ?? 'month' }
                  : null,
                sort: settings.sort?.by === 'period' ? null : settings.sort,
              })
            }
            error={fieldMessage(error, 'time.column') ?? fieldMessage(error, 'time')}
            testId="explore-time"
          >
            <option value="">(none)</option>
            {timeColumns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </ControlSelect>
          <ControlSelect
            label="Interval"
            value={settings.time?.interval ?? 'month'}
            disabled={!settings.time}
            onChange={(e) =>
              settings.time &&
              update({ time: { ...settings.time, interval: e.target.value as Interval } })
            }
            error={fieldMessage(error, 'time.interval')}
            testId="explore-interval"
          >
            {INTERVALS.map((i) => (
              <option key={i} value={i}>
                {intervalLabel(i)}
              </option>
            ))}
          </ControlSelect>
        </div>
        <fieldset className="explore-measures">
          <legend>Measures</legend>
          <ol className="explore-measures__list">
            {settings.measures.map((m, index) => {
              const allowed = columnsForAggregation(schema, m.agg);
              const message = fieldMessage(error, `measures.${index}`);
              return (
                <li key={index} className="explore-measures__row" data-testid="explore-measure">
                  <ControlSelect
                    label={`Measure ${index + 1}`}
                    value={m.agg}
                    onChange={(e) =>
                      setMeasure(index, e.target.value as QueryAggregation, m.column ?? '')
                    }
                    error={message}
                    testId="explore-agg"
                  >
                    {QUERY_AGGREGATIONS.map((a) => (
                      <option key={a} value={a}>
                        {queryAggregationLabel(a)}
                      </option>
                    ))}
                  </ControlSelect>
                  <ControlSelect
                    label={`Column ${index + 1}`}
                    value={m.column ?? ''}
                    onChange={(e) => setMeasure(index, m.agg, e.target.value)}
                    testId="explore-column"
                  >
                    {!needsColumn(m.agg) ? <option value="">rows</option> : null}
                    <ColumnOptions columns={allowed} />
                  </ControlSelect>
                  {settings.measures.length > 1 ? (
                    <button
                      type="button"
                      className="button button--ghost button--small"
                      aria-label={`Remove measure ${index + 1} (${names[index] ?? ''})`}
                      onClick={() =>
                        update({
                          measures: settings.measures.filter((_, i) => i !== index),
                          sort: null,
                        })
                      }
                    >
                      Remove
                    </button>
                  ) : null}
                </li>
              );
            })}
          </ol>
          {settings.measures.length < MAX_EXPLORE_MEASURES ? (
            <button
              type="button"
              className="button button--secondary button--small"
              onClick={() => update({ measures: [...settings.measures, { agg: 'count' }] })}
              data-testid="explore-add-measure"
            >
              + Add measure
            </button>
          ) : null}
        </fieldset>
        <div className="controls" role="group" aria-label="Order and size">
          <ControlSelect
            label="Sort by"
            value={settings.sort?.by ?? ''}
            onChange={(e) =>
              update({
                sort: e.target.value
                  ? { by: e.target.value, desc: settings.sort?.desc ?? true }
                  : null,
              })
            }
            error={fieldMessage(error, 'order')}
            testId="explore-sort"
          >
            <option value="">
              {settings.time ? 'Default (by period)' : 'Default (largest first)'}
            </option>
            {sortOptions.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </ControlSelect>
          <div className="control control--check">
            <input
              id={`${id}-desc`}
              type="checkbox"
              checked={settings.sort?.desc ?? false}
              disabled={!settings.sort}
              onChange={(e) =>
                settings.sort && update({ sort: { ...settings.sort, desc: e.target.checked } })
              }
            />
            <label htmlFor={`${id}-desc`}>Descending</label>
          </div>
          <ControlSelect
            label="Rows"
            value={String(settings.limit)}
            onChange={(e) => update({ limit: Number(e.target.value) })}
            error={fieldMessage(error, 'limit') ?? fieldMessage(error, 'offset')}
            testId="explore-limit"
          >
            {EXPLORE_LIMITS.map((n) => (
              <option key={n} value={n}>
                {formatInteger(n)}
              </option>
            ))}
          </ControlSelect>
        </div>
      </form>

      {error && placed > 0 ? (
        <div className="alert alert--error" role="alert" data-testid="problem">
          <div className="alert__body">
            <p className="alert__title">{toApiError(error).title}</p>
            <p className="alert__detail">
              {placed === 1
                ? 'See the message next to the field it is about.'
                : 'See the messages next to the fields they are about.'}
            </p>
          </div>
        </div>
      ) : null}
      {error && placed === 0 ? (
        <ProblemAlert
          error={error}
          context="The question was refused"
          onRetry={() => void query.refetch()}
        />
      ) : null}
      {waiting ? <SnapshotPending what="the query" /> : null}
      {query.isPending && !error && !waiting ? <Skeleton label="Running the query…" /> : null}
      {data ? (
        <ExploreResult
          datasetId={datasetId}
          version={version}
          result={data}
          chart={chart}
          stale={query.isPlaceholderData}
          fetching={query.isFetching}
          body={body}
          scales={measureScales(schema, settings)}
          snapshot={snapshot}
        />
      ) : null}
    </Panel>
  );
}

type ExploreResultProps = {
  datasetId: string;
  version: number;
  result: QueryResult;
  chart: ReturnType<typeof exploreChart>;
  stale: boolean;
  fetching: boolean;
  body: ReturnType<typeof exploreQuery>;
  scales: Map<string, number>;
  snapshot: VersionSnapshot | null | undefined;
};

/** Why the Parquet export cannot be had now, if it cannot. */
function exportNote(snapshot: VersionSnapshot | null | undefined): string | null {
  if (snapshot?.status === 'writing')
    return 'The Parquet export is available once the snapshot is written (a few seconds).';
  if (snapshot?.status === 'failed')
    return `No Parquet export: the snapshot could not be written${snapshot.error ? ` (${snapshot.error})` : ''}.`;
  return null;
}

function ExploreResult({
  datasetId,
  version,
  result,
  chart,
  stale,
  fetching,
  body,
  scales,
  snapshot,
}: ExploreResultProps) {
  const shown = result.rows.length;
  const note = exportNote(snapshot);
  return (
    <div className={stale ? 'explore-result is-stale' : 'explore-result'} aria-busy={fetching}>
      <p
        className="explore-stats small muted"
        data-testid="explore-stats"
        data-rows-matched={result.rows_matched}
        data-rows-scanned={result.rows_scanned}
        data-groups={result.total_groups}
      >
        <strong>{formatInteger(result.rows_matched)}</strong>{' '}
        {result.rows_matched === 1 ? 'row matches' : 'rows match'} of{' '}
        {formatInteger(result.rows_scanned)} scanned · {formatInteger(result.total_groups)}{' '}
        {result.total_groups === 1 ? 'group' : 'groups'}
        {shown < result.total_groups ? ` (first ${formatInteger(shown)} shown)` : ''} ·{' '}
        {formatInteger(result.elapsed_ms)} ms
        {result.row_groups > 0
          ? ` · ${formatInteger(result.row_groups_skipped)} of ${formatInteger(result.row_groups)} row groups skipped`
          : ''}
      </p>
      {shown === 0 ? (
        <EmptyState title="No rows match">
          <p>Remove a filter or widen the date range.</p>
        </EmptyState>
      ) : null}
      {chart ? (
        <>
          <EChart
            option={chart.option}
            height={
              chart.kind === 'bar' && chart.series === 1
                ? Math.max(160, chart.categories * 28 + 24)
                : 340
            }
            label={`${chart.measure}, ${chart.kind === 'line' ? 'over time' : 'by group'}`}
            testId="explore-chart"
            data={{ kind: chart.kind, series: chart.series, categories: chart.categories }}
          />
          {chart.truncated ? (
            <p className="note">The chart shows the largest groups only; the table has them all.</p>
          ) : null}
        </>
      ) : null}
      {shown > 0 ? (
        <div className="table-scroll explore-table">
          <table className="table table--compact" data-testid="explore-table" data-rows={shown}>
            <caption className="visually-hidden">The answer, one row per group</caption>
            <thead>
              <tr>
                {result.columns.map((c) => (
                  <th key={c.name} scope="col" className={c.kind === 'measure' ? 'num' : undefined}>
                    {c.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.rows.map((row, i) => (
                <tr key={i}>
                  {result.columns.map((c) => (
                    <td key={c.name} className={c.kind === 'measure' ? 'num' : undefined}>
                      {cellText(row[c.name], c, scales.get(c.name))}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="panel__footer">
        {note ? (
          <span
            className="small muted"
            role="status"
            data-testid="export-note"
            data-snapshot={snapshot?.status}
          >
            {note}
          </span>
        ) : (
          <span />
        )}
        <div className="button-row">
          <DownloadButton
            label="CSV"
            fallbackName={`${datasetId}-v${version}-query.csv`}
            fetchFile={() => downloadQueryCsv(datasetId, body, { version })}
            testId="explore-csv"
          />
          <DownloadButton
            label="All rows (Parquet)"
            fallbackName={`${datasetId}-v${version}.parquet`}
            fetchFile={() => downloadParquet(datasetId, { version })}
            testId="export-parquet"
            disabled={note !== null}
            title={note ?? undefined}
          />
        </div>
      </div>
    </div>
  );
}
