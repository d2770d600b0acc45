import { useMemo } from 'react';
import { downloadInsightCsv } from '../../api/insights';
import { AGGREGATIONS, type Aggregation, type Schema } from '../../api/types';
import { DownloadButton } from '../../components/DownloadButton';
import { EChart, type ChartClick } from '../../components/EChart';
import { EmptyState } from '../../components/EmptyState';
import { Skeleton } from '../../components/Loading';
import { SnapshotPending } from '../../components/SnapshotPending';
import { Panel, TableView } from '../../components/Panel';
import { formatInteger, formatNumber, formatPercent } from '../../lib/format';
import { isWaitingForSnapshot } from '../../lib/snapshotRetry';
import { drillFilter, type Filter } from '../explore/filters';
import type { PanelFilters } from '../explore/filteredInsights';
import { useUrlParam } from '../explore/useViewState';
import { groupBars, groupsOption } from './chartOptions';
import { Count } from './Approximate';
import {
  AggregationSelect,
  ColumnSelect,
  ControlSelect,
  InsightProblem,
  MeasureSelect,
} from './controls';
import { FilteredTag } from './FilteredTag';
import { measureLabel } from './labels';
import { defaultAggregation, defaultMeasure } from './measures';
import { useGroups } from './useInsights';

type GroupsPanelProps = {
  datasetId: string;
  version: number;
  schema: Schema;
  /** The view's filters: with any, the groups come from POST /query. */
  view?: PanelFilters | undefined;
  /** A click on a group (its bar, its name, or its button in the table) filters the view to it. */
  onDrill?: ((filter: Filter) => void) | undefined;
};

const LIMITS = ['5', '10', '20'] as const;

/** Top N groups of a dimension (and the rest as "Other"), as horizontal bars. */
export function GroupsPanel({ datasetId, version, schema, view, onDrill }: GroupsPanelProps) {
  const dimensions = schema.columns.filter((c) => c.role === 'dimension');
  const measures = schema.columns.filter((c) => c.role === 'measure');
  // The panel's choices live in the URL (g.*), so a reload or a link shows the same groups.
  const [dimension, setDimension] = useUrlParam(
    'g.by',
    dimensions[0]?.name ?? '',
    dimensions.map((c) => c.name),
  );
  const [measure, setMeasure] = useUrlParam(
    'g.m',
    defaultMeasure(schema),
    measures.map((c) => c.name),
  );
  const [agg, setAgg] = useUrlParam<Aggregation>(
    'g.agg',
    defaultAggregation(schema),
    measures.length > 0 ? AGGREGATIONS : ['count'],
  );
  const [limitText, setLimit] = useUrlParam('g.n', '10', LIMITS);
  const limit = Number(limitText);

  const params = useMemo(
    () =>
      dimension
        ? { dimension, measure: agg === 'count' ? undefined : measure || undefined, agg, limit }
        : null,
    [dimension, measure, agg, limit],
  );
  const query = useGroups(datasetId, version, params, view);
  const label = measureLabel(agg, params?.measure);
  const data = query.data;
  // Shares and "Other" only add up for sums and counts.
  const additive = agg === 'sum' || agg === 'count';
  const option = useMemo(
    () => (data ? groupsOption(data, label, additive) : null),
    [data, label, additive],
  );
  const bars = useMemo(() => (data ? groupBars(data, additive) : []), [data, additive]);
  // Every row shown has one value of the dimension already (a drill-down or an "=" filter).
  const pinned = view?.filters.some(
    (f) => f.column === dimension && (f.op === 'eq' || f.op === 'is_null'),
  );
  const drill = (key: string | null) => onDrill?.(drillFilter(dimension, key));
  const onBarClick = (item: ChartClick) => {
    const bar =
      item.componentType === 'yAxis'
        ? bars.find((b) => b.label === item.value)
        : item.componentType === 'series'
          ? bars[item.dataIndex]
          : undefined;
    if (bar && !bar.other) drill(bar.key);
  };

  if (dimensions.length === 0) {
    return (
      <Panel id="groups" title="Groups" testId="groups-panel">
        <EmptyState title="No dimension columns">
          <p>Grouping needs a text column with repeated values, such as a region or a category.</p>
        </EmptyState>
      </Panel>
    );
  }

  return (
    <Panel
      id="groups"
      title="Groups"
      description={
        <>
          {label} by <code>{dimension}</code>
          {data?.group_count !== undefined ? (
            <>
              {' · '}
              <Count value={data.group_count} exact={!data.capped} /> groups
            </>
          ) : null}
          <FilteredTag view={view} />
        </>
      }
      testId="groups-panel"
    >
      <div className="controls" role="group" aria-label="Group options">
        <ColumnSelect
          label="Group by"
          columns={dimensions}
          value={dimension}
          onChange={setDimension}
          testId="groups-dimension"
        />
        <MeasureSelect measures={measures} measure={measure} agg={agg} onChange={setMeasure} />
        <AggregationSelect
          options={AGGREGATIONS}
          hasMeasures={measures.length > 0}
          value={agg}
          onChange={setAgg}
        />
        <ControlSelect
          label="Show"
          value={limit}
          onChange={(e) => setLimit(e.target.value as (typeof LIMITS)[number])}
        >
          {LIMITS.map((n) => (
            <option key={n} value={n}>
              Top {n}
            </option>
          ))}
        </ControlSelect>
      </div>
      {isWaitingForSnapshot(query) ? (
        <SnapshotPending />
      ) : query.isPending ? (
        <Skeleton label="Loading the groups…" />
      ) : null}
      {query.isError ? (
        <InsightProblem
          error={query.error}
          context="Could not load the groups"
          onRetry={() => void query.refetch()}
          onCountRows={() => setAgg('count')}
        />
      ) : null}
      {data?.capped ? (
        <p className="note" data-testid="groups-capped">
          <code>{dimension}</code> has more distinct values than are counted exactly (1,000,000):
          the number of groups is estimated. The groups shown and their values are exact.
        </p>
      ) : null}
      {pinned && data ? (
        <p className="note" data-testid="groups-pinned">
          The filters leave one value of <code>{dimension}</code>: group by another column to split
          these rows further.
        </p>
      ) : null}
      {data?.groups.length === 0 ? <EmptyState title="No groups" /> : null}
      {data && option && data.groups.length > 0 ? (
        <div
          className={query.isPlaceholderData ? 'is-stale' : undefined}
          aria-busy={query.isFetching}
        >
          <EChart
            option={option}
            height={Math.max(160, bars.length * 32 + 24)}
            label={`${label} by ${dimension}, top ${data.groups.length}${onDrill ? ' (select a bar to filter by it)' : ''}`}
            testId="groups-chart"
            data={{ bars: bars.length, dimension }}
            onItemClick={onDrill ? onBarClick : undefined}
          />
          <div className="panel__footer">
            <TableView caption={`${label} by ${dimension}`} testId="groups-table">
              <thead>
                <tr>
                  <th scope="col">{dimension}</th>
                  <th scope="col" className="num">
                    Value
                  </th>
                  {additive ? (
                    <th scope="col" className="num">
                      Share
                    </th>
                  ) : null}
                  <th scope="col" className="num">
                    Rows
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.groups.map((g) => (
                  <tr key={g.key ?? '\u0000null'}>
                    <th scope="row">
                      {onDrill ? (
                        <button
                          type="button"
                          className="link-button"
                          onClick={() => drill(g.key)}
                          aria-label={`Filter by ${dimension} ${g.key === null ? 'empty' : `= ${g.key}`}`}
                          data-testid="drill-group"
                        >
                          {g.key ?? <em>(empty)</em>}
                        </button>
                      ) : (
                        (g.key ?? <em>(empty)</em>)
                      )}
                    </th>
                    <td className="num">{formatNumber(g.value)}</td>
                    {additive ? (
                      <td className="num">{formatPercent(g.share, { signed: false })}</td>
                    ) : null}
                    <td className="num">{formatInteger(g.count)}</td>
                  </tr>
                ))}
                {additive && data.other.count > 0 ? (
                  <tr className="row--other">
                    <th scope="row">Other</th>
                    <td className="num">{formatNumber(data.other.value)}</td>
                    <td className="num">{formatPercent(data.other.share, { signed: false })}</td>
                    <td className="num">{formatInteger(data.other.count)}</td>
                  </tr>
                ) : null}
              </tbody>
            </TableView>
            {params ? (
              <DownloadButton
                label="CSV"
                fallbackName={`${datasetId}-groups-${dimension}.csv`}
                fetchFile={() => downloadInsightCsv(datasetId, 'groups', { ...params, version })}
              />
            ) : null}
          </div>
        </div>
      ) : null}
    </Panel>
  );
}
