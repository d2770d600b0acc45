import { useMutation, useQueryClient } from '@tanstack/react-query';
import { reprocessDataset } from '../../api/datasets';
import type { ReprocessInput } from '../../api/types';
import { queryKeys } from '../../lib/queryKeys';
import { useSession } from '../auth/useAuth';
import { storeDataset } from '../datasets/useDatasets';

/**
 * Read a version's stored file again with changed column settings. The answer (the dataset
 * with its new version queued) goes into the cache, so the page follows the new version the
 * way it follows an upload: the banner streams its progress and, once it is ready, the schema
 * of the new version replaces the old one.
 */
export function useReprocess(datasetId: string) {
  const { orgId } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: ReprocessInput) => reprocessDataset(datasetId, input),
    onSuccess: (dataset) => {
      storeDataset(queryClient, orgId, dataset);
      void queryClient.invalidateQueries({ queryKey: queryKeys.datasets(orgId) });
    },
  });
}
