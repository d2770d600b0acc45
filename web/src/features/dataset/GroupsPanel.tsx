import { useMemo, useState } from 'react';
import { downloadInsightCsv } from '../../api/insights';
import { AGGREGATIONS, type Aggregation, type Schema } from '../../api/types';
import { DownloadButton } from '../../components/DownloadButton';
import { EChart } from '../../components/EChart';
import { EmptyState } from '../../components/EmptyState';
import { Skeleton } from '../../components/Loading';
import { Panel, TableView } from '../../components/Panel';
import { formatInteger, formatNumber, formatPercent } from '../../lib/format';
import { groupsOption } from './chartOptions';
import { Count } from './Approximate';
import {
  AggregationSelect,
  ColumnSelect,
  ControlSelect,
  InsightProblem,
  MeasureSelect,
} from './controls';
import { measureLabel } from './labels';
import { defaultAggregation, defaultMeasure } from './measures';
import { useGroups } from './useInsights';

type GroupsPanelProps = { datasetId: string; version: number; schema: Schema };

const LIMITS = [5, 10, 20] as const;

/** Top N groups of a dimension (and the rest as "Other"), as horizontal bars. */
export function GroupsPanel({ datasetId, version, schema }: GroupsPanelProps) {
  const dimensions = schema.columns.filter((c) => c.role === 'dimension');
  const measures = schema.columns.filter((c) => c.role === 'measure');
  const [dimension, setDimension] = useState(dimensions[0]?.name ?? '');
  const [measure, setMeasure] = useState(() => defaultMeasure(schema));
  const [agg, setAgg] = useState<Aggregation>(() => defaultAggregation(schema));
  const [limit, setLimit] = useState<number>(10);

  const params = useMemo(
    () =>
      dimension
        ? { dimension, measure: agg === 'count' ? undefined : measure || undefined, agg, limit }
        : null,
    [dimension, measure, agg, limit],
  );
  const query = useGroups(datasetId, version, params);
  const label = measureLabel(agg, params?.measure);
  const data = query.data;
  // Shares and "Other" only add up for sums and counts.
  const additive = agg === 'sum' || agg === 'count';
  const option = useMemo(
    () => (data ? groupsOption(data, label, additive) : null),
    [data, label, additive],
  );
  const bars = data ? data.groups.length + (additive && data.other.count > 0 ? 1 : 0) : 0;

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
          onChange={(e) => setLimit(Number(e.target.value))}
        >
          {LIMITS.map((n) => (
            <option key={n} value={n}>
              Top {n}
            </option>
          ))}
        </ControlSelect>
      </div>
      {query.isPending ? <Skeleton label="Loading the groups…" /> : null}
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
      {data?.groups.length === 0 ? <EmptyState title="No groups" /> : null}
      {data && option && data.groups.length > 0 ? (
        <div
          className={query.isPlaceholderData ? 'is-stale' : undefined}
          aria-busy={query.isFetching}
        >
          <EChart
            option={option}
            height={Math.max(160, bars * 32 + 24)}
            label={`${label} by ${dimension}, top ${data.groups.length}`}
            testId="groups-chart"
            data={{ bars, dimension }}
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
                    <th scope="row">{g.key ?? <em>(empty)</em>}</th>
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
