import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryClient,
} from '@tanstack/react-query';
import { useEffect } from 'react';
import { deleteDataset, getDataset, listDatasets } from '../../api/datasets';
import { isSnapshotPending } from '../../api/snapshot';
import type { Dataset, Page } from '../../api/types';
import { queryKeys } from '../../lib/queryKeys';
import { useSession } from '../auth/useAuth';

const PAGE_SIZE = 50;

export function useDatasets() {
  const { orgId } = useSession();
  return useInfiniteQuery({
    queryKey: queryKeys.datasets(orgId),
    queryFn: ({ pageParam, signal }) =>
      listDatasets({ limit: PAGE_SIZE, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    // Others in the organization upload too.
    refetchOnWindowFocus: true,
  });
}

/** How often a ready dataset whose snapshot is still being written is read again. */
export const SNAPSHOT_POLL_MS = 2_000;

/** The latest version is ready, and its snapshot (for filters, Explore, exports) is being written. */
export function isSnapshotWriting(dataset: Dataset | undefined): boolean {
  return dataset?.status === 'ready' && dataset.snapshot?.status === 'writing';
}

export function useDataset(id: string) {
  const { orgId } = useSession();
  return useQuery({
    queryKey: queryKeys.dataset(orgId, id),
    queryFn: ({ signal }) => getDataset(id, signal),
    // The events stream ends at "ready"; the snapshot is written a few seconds later.
    refetchInterval: (query) => (isSnapshotWriting(query.state.data) ? SNAPSHOT_POLL_MS : false),
  });
}

/**
 * Once the latest version's snapshot is written, ask again at once every question of that version
 * still waiting for it (409 snapshot-pending), rather than after its next Retry-After.
 */
export function useRefetchWhenSnapshotReady(dataset: Dataset | undefined): void {
  const { orgId } = useSession();
  const queryClient = useQueryClient();
  const id = dataset?.id;
  const version = dataset?.version;
  const ready = dataset?.status === 'ready' && dataset.snapshot?.status === 'ready';
  useEffect(() => {
    if (!id || version === undefined || !ready) return;
    void queryClient.invalidateQueries({
      queryKey: [...queryKeys.dataset(orgId, id), 'v', version],
      predicate: (query) => isSnapshotPending(query.state.error ?? query.state.fetchFailureReason),
    });
  }, [id, version, ready, orgId, queryClient]);
}

type DatasetPages = InfiniteData<Page<Dataset>, string | undefined>;

/** Put a dataset's new state everywhere it is cached (its own entry and the list). */
export function storeDataset(queryClient: QueryClient, orgId: string, dataset: Dataset): void {
  queryClient.setQueryData<Dataset>(queryKeys.dataset(orgId, dataset.id), dataset);
  queryClient.setQueryData<DatasetPages>(queryKeys.datasets(orgId), (data) => {
    if (!data) return data;
    const found = data.pages.some((page) => page.items.some((item) => item.id === dataset.id));
    const pages = data.pages.map((page) => ({
      ...page,
      items: page.items.map((item) => (item.id === dataset.id ? dataset : item)),
    }));
    const first = pages[0];
    if (!found && first) pages[0] = { ...first, items: [dataset, ...first.items] };
    return { ...data, pages };
  });
}

export function useDeleteDataset() {
  const { orgId } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => deleteDataset(id),
    onSuccess: (_data, id) => {
      queryClient.setQueryData<DatasetPages>(queryKeys.datasets(orgId), (data) =>
        data
          ? {
              ...data,
              pages: data.pages.map((p) => ({ ...p, items: p.items.filter((d) => d.id !== id) })),
            }
          : data,
      );
      queryClient.removeQueries({ queryKey: queryKeys.dataset(orgId, id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.datasets(orgId) });
    },
  });
}
