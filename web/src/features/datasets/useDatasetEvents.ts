import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { getDataset, streamDatasetEvents } from '../../api/datasets';
import { ApiError, toApiError } from '../../api/errors';
import type { Dataset } from '../../api/types';
import { queryKeys } from '../../lib/queryKeys';
import { useSession } from '../auth/useAuth';
import { storeDataset } from './useDatasets';

export function isFinal(dataset: Pick<Dataset, 'status'>): boolean {
  return dataset.status === 'ready' || dataset.status === 'failed';
}

type LiveState = { connected: boolean; error: ApiError | null };

/**
 * While a dataset is queued or processing, follow its Server-Sent Events and write every
 * update into the query cache; reconnects (with back-off) when the stream drops early.
 */
export function useDatasetEvents(dataset: Dataset | undefined): LiveState {
  const { orgId } = useSession();
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveState>({ connected: false, error: null });
  const id = dataset?.id;
  const active = dataset !== undefined && !isFinal(dataset);
  const version = dataset?.version;

  useEffect(() => {
    if (!id || !active) return undefined;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let done = false;

    const settle = (next: Dataset) => {
      storeDataset(queryClient, orgId, next);
      if (isFinal(next)) {
        done = true;
        void queryClient.invalidateQueries({ queryKey: queryKeys.dataset(orgId, next.id) });
        // And the list: an answer fetched before the version was ready may land after this
        // event and put the row back to queued; the list read now is the truth.
        void queryClient.invalidateQueries({ queryKey: queryKeys.datasets(orgId) });
      }
    };

    const connect = async () => {
      let retry: number | undefined;
      try {
        setState({ connected: true, error: null });
        const result = await streamDatasetEvents(
          id,
          (_type, next) => {
            failures = 0;
            settle(next);
          },
          controller.signal,
        );
        retry = result.retry;
        if (!done) settle(await getDataset(id, controller.signal));
      } catch (error) {
        if (controller.signal.aborted) return;
        failures++;
        setState({ connected: false, error: toApiError(error) });
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) return;
      }
      if (done || controller.signal.aborted) {
        setState((s) => ({ ...s, connected: false }));
        return;
      }
      const delay = Math.min((retry ?? 2000) * 2 ** Math.min(failures, 4), 30_000);
      timer = setTimeout(() => void connect(), delay);
    };

    void connect();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [id, active, version, orgId, queryClient]);

  return state;
}
