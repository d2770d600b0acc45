import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { getDatasetErrors } from '../../api/datasets';
import {
  getBreakdown,
  getGroups,
  postQuery,
  getSchema,
  getSummary,
  getTimeSeries,
  type BreakdownParams,
  type GroupsParams,
  type TimeSeriesParams,
} from '../../api/insights';
import type { Dataset, QueryFilter, QueryRequest, Schema } from '../../api/types';
import { queryKeys } from '../../lib/queryKeys';
import { useSnapshotRetry } from '../../lib/snapshotRetry';
import { useSession } from '../auth/useAuth';
import {
  filteredBreakdown,
  filteredGroups,
  filteredTimeSeries,
  type PanelFilters,
} from '../explore/filteredInsights';
import { kpiTotalsQuery, measureNames } from '../explore/queries';

/** The filters of the view when there are any (then the panels ask POST /query), else null. */
function active(view: PanelFilters | undefined): PanelFilters | null {
  return view && view.filters.length > 0 ? view : null;
}

/** The part of a panel's query key the filters make (nothing without filters). */
function filterKey(view: PanelFilters | null): object {
  return view ? { filters: view.filters, range: view.range } : {};
}

/**
 * The schema of the version the page shows. Its `version` pins every other insight query, so a
 * page never mixes numbers of two versions. When the latest version is ready it is asked for by
 * number (the unversioned form can still answer the previous version for a moment after "ready");
 * while a new version is queued, processing or failed, the unversioned form gives the newest
 * ready one (or 409 not-ready when there is none).
 */
export function useLatestSchema(dataset: Dataset | undefined) {
  const { orgId } = useSession();
  const pinned = dataset?.status === 'ready' ? dataset.version : undefined;
  return useQuery({
    queryKey: queryKeys.latestSchema(
      orgId,
      dataset?.id ?? '',
      dataset?.version ?? 0,
      dataset?.status ?? '',
    ),
    queryFn: ({ signal }) => getSchema(dataset?.id ?? '', { version: pinned }, signal),
    enabled: dataset !== undefined,
    // The previous version's schema stays on screen while the next one loads, but never another
    // dataset's (the page stays mounted when the route goes from one dataset to the next).
    placeholderData: (previous) =>
      previous?.provenance.dataset_id === dataset?.id ? previous : undefined,
  });
}

export function useSummary(datasetId: string, version: number) {
  const { orgId } = useSession();
  return useQuery({
    queryKey: queryKeys.insight(orgId, datasetId, version, 'summary'),
    queryFn: ({ signal }) => getSummary(datasetId, { version }, signal),
    staleTime: Infinity,
  });
}

export function useTimeSeries(
  datasetId: string,
  version: number,
  params: Omit<TimeSeriesParams, 'version'>,
  enabled = true,
  view?: PanelFilters,
) {
  const { orgId } = useSession();
  const snapshotRetry = useSnapshotRetry();
  const filtered = active(view);
  return useQuery({
    queryKey: queryKeys.insight(orgId, datasetId, version, 'timeseries', {
      ...params,
      ...filterKey(filtered),
    }),
    queryFn: ({ signal }) =>
      filtered
        ? filteredTimeSeries(datasetId, version, params, filtered, signal)
        : getTimeSeries(datasetId, { ...params, version }, signal),
    staleTime: Infinity,
    enabled,
    placeholderData: keepPreviousData,
    // POST /query reads the snapshot: wait while it is written (409 snapshot-pending).
    ...snapshotRetry,
  });
}

export function useGroups(
  datasetId: string,
  version: number,
  params: Omit<GroupsParams, 'version'> | null,
  view?: PanelFilters,
) {
  const { orgId } = useSession();
  const snapshotRetry = useSnapshotRetry();
  const filtered = active(view);
  return useQuery({
    queryKey: queryKeys.insight(orgId, datasetId, version, 'groups', {
      ...params,
      ...filterKey(filtered),
    }),
    queryFn: ({ signal }) => {
      const p = params ?? { dimension: '' };
      return filtered
        ? filteredGroups(datasetId, version, p, filtered, signal)
        : getGroups(datasetId, { ...p, version }, signal);
    },
    staleTime: Infinity,
    enabled: params !== null,
    placeholderData: keepPreviousData,
    // POST /query reads the snapshot: wait while it is written (409 snapshot-pending).
    ...snapshotRetry,
  });
}

export function useBreakdown(
  datasetId: string,
  version: number,
  params: Omit<BreakdownParams, 'version'> | null,
  view?: PanelFilters,
) {
  const { orgId } = useSession();
  const snapshotRetry = useSnapshotRetry();
  const filtered = active(view);
  return useQuery({
    queryKey: queryKeys.insight(orgId, datasetId, version, 'breakdown', {
      ...params,
      ...filterKey(filtered),
    }),
    queryFn: ({ signal }) => {
      const p = params ?? { dimension: '' };
      return filtered
        ? filteredBreakdown(datasetId, version, p, filtered, signal)
        : getBreakdown(datasetId, { ...p, version }, signal);
    },
    staleTime: Infinity,
    enabled: params !== null,
    placeholderData: keepPreviousData,
    // POST /query reads the snapshot: wait while it is written (409 snapshot-pending).
    ...snapshotRetry,
  });
}

/** POST /query for one version; null asks nothing. */
export function useDatasetQuery(datasetId: string, version: number, body: QueryRequest | null) {
  const { orgId } = useSession();
  const snapshotRetry = useSnapshotRetry();
  return useQuery({
    queryKey: queryKeys.insight(orgId, datasetId, version, 'query', body ?? {}),
    queryFn: ({ signal }) => postQuery(datasetId, body ?? {}, { version }, signal),
    staleTime: Infinity,
    enabled: body !== null,
    placeholderData: keepPreviousData,
    // POST /query reads the snapshot: wait while it is written (409 snapshot-pending).
    ...snapshotRetry,
  });
}

/**
 * The filtered rows' count and the total of the main measure (the key figures, and the one
 * answer whose field errors the filter bar shows next to the chips); nothing without filters.
 */
export function useFilteredTotals(
  datasetId: string,
  version: number,
  schema: Schema,
  filters: QueryFilter[],
) {
  const body = filters.length > 0 ? kpiTotalsQuery(schema, filters, measureNames(schema)) : null;
  return useDatasetQuery(datasetId, version, body);
}

/** The first bad rows, invalid values and notes of one version (ready or failed). */
export function useDataErrors(datasetId: string, version: number, enabled = true) {
  const { orgId } = useSession();
  return useQuery({
    queryKey: queryKeys.errors(orgId, datasetId, version),
    queryFn: ({ signal }) => getDatasetErrors(datasetId, { limit: 100, version }, signal),
    staleTime: Infinity,
    enabled,
  });
}
