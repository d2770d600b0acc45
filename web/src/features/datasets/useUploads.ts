import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import { uploadDataset, uploadDatasetVersion } from '../../api/datasets';
import { ApiError, toApiError } from '../../api/errors';
import type { ColumnType, Dataset } from '../../api/types';
import { queryKeys } from '../../lib/queryKeys';
import { useSession } from '../auth/useAuth';
import { storeDataset } from './useDatasets';

export type UploadItem = {
  key: string;
  fileName: string;
  loaded: number;
  total: number;
  state: 'uploading' | 'accepted' | 'error' | 'cancelled';
  error: ApiError | null;
  dataset: Dataset | null;
};

export type StartUpload = {
  file: File;
  name?: string;
  types?: Record<string, ColumnType>;
  /** Upload as a new version of this dataset. */
  datasetId?: string;
};

let sequence = 0;

/** Uploads in flight with their byte progress (XMLHttpRequest upload events). */
export function useUploads(onAccepted?: (dataset: Dataset) => void) {
  const { orgId } = useSession();
  const queryClient = useQueryClient();
  const [items, setItems] = useState<UploadItem[]>([]);
  const controllers = useRef(new Map<string, AbortController>());

  const update = useCallback((key: string, change: Partial<UploadItem>) => {
    setItems((current) =>
      current.map((item) => (item.key === key ? { ...item, ...change } : item)),
    );
  }, []);

  const start = useCallback(
    async (input: StartUpload): Promise<Dataset | null> => {
      sequence += 1;
      const key = `upload-${sequence}`;
      const controller = new AbortController();
      controllers.current.set(key, controller);
      setItems((current) => [
        ...current,
        {
          key,
          fileName: input.file.name,
          loaded: 0,
          total: input.file.size,
          state: 'uploading',
          error: null,
          dataset: null,
        },
      ]);
      const request = {
        file: input.file,
        name: input.name,
        types: input.types,
        signal: controller.signal,
        onProgress: ({ loaded, total }: { loaded: number; total: number }) => {
          update(key, { loaded, total });
        },
      };
      try {
        const dataset = input.datasetId
          ? await uploadDatasetVersion(input.datasetId, request)
          : await uploadDataset(request);
        update(key, { state: 'accepted', dataset, loaded: input.file.size });
        storeDataset(queryClient, orgId, dataset);
        void queryClient.invalidateQueries({ queryKey: queryKeys.datasets(orgId) });
        onAccepted?.(dataset);
        // The dataset's own row shows processing from here on.
        setTimeout(() => {
          setItems((current) => current.filter((item) => item.key !== key));
        }, 1500);
        return dataset;
      } catch (error) {
        if (error instanceof DOMException && error.name === 'AbortError') {
          setItems((current) => current.filter((item) => item.key !== key));
        } else {
          update(key, { state: 'error', error: toApiError(error) });
        }
        return null;
      } finally {
        controllers.current.delete(key);
      }
    },
    [orgId, queryClient, update, onAccepted],
  );

  const cancel = useCallback((key: string) => {
    controllers.current.get(key)?.abort();
  }, []);

  const dismiss = useCallback((key: string) => {
    setItems((current) => current.filter((item) => item.key !== key));
  }, []);

  return { items, start, cancel, dismiss };
}
