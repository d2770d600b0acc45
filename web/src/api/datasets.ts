import { ApiError, networkError, problemToError } from './errors';
import {
  API_BASE,
  apiFetch,
  buildUrl,
  getAccessToken,
  refreshSession,
  requestBlob,
  requestJson,
  requestVoid,
} from './http';
import { readEventStream } from './sse';
import type {
  ColumnOptions,
  Dataset,
  DatasetFormat,
  ErrorsPage,
  Page,
  ReprocessInput,
} from './types';

export function listDatasets(
  params: { limit?: number; cursor?: string } = {},
  signal?: AbortSignal,
): Promise<Page<Dataset>> {
  return requestJson<Page<Dataset>>('/datasets', { query: params, signal });
}

export function getDataset(id: string, signal?: AbortSignal): Promise<Dataset> {
  return requestJson<Dataset>(`/datasets/${encodeURIComponent(id)}`, { signal });
}

export function deleteDataset(id: string): Promise<void> {
  return requestVoid(`/datasets/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export function getDatasetErrors(
  id: string,
  params: { limit?: number; cursor?: string; version?: number } = {},
  signal?: AbortSignal,
): Promise<ErrorsPage> {
  return requestJson<ErrorsPage>(`/datasets/${encodeURIComponent(id)}/errors`, {
    query: params,
    signal,
  });
}

/** The rejected rows, invalid values and notes of a version (default: the latest) as CSV. */
export function downloadDatasetErrorsCsv(
  id: string,
  version?: number,
): Promise<{ blob: Blob; filename: string | null }> {
  return requestBlob(`/datasets/${encodeURIComponent(id)}/errors`, {
    accept: 'text/csv',
    query: { limit: 10000, version },
  });
}

/**
 * A new version that reads an earlier version's stored source file (default: the latest) again
 * with changed column settings; no upload. Answers the dataset with its new version queued.
 */
export function reprocessDataset(id: string, input: ReprocessInput): Promise<Dataset> {
  return requestJson<Dataset>(`/datasets/${encodeURIComponent(id)}/reprocess`, {
    method: 'POST',
    json: input,
  });
}

export type UploadProgress = { loaded: number; total: number };

/** Column settings go in the query: types and roles as JSON objects, the rest as they are. */
export type UploadInput = ColumnOptions & {
  file: File;
  name?: string;
  format?: DatasetFormat;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
};

/** The format the server should parse, from the file name or its content type. */
export function guessFormat(file: File): DatasetFormat | undefined {
  const name = file.name.toLowerCase();
  if (name.endsWith('.csv') || file.type === 'text/csv') return 'csv';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl') || file.type === 'application/x-ndjson')
    return 'ndjson';
  if (name.endsWith('.json') || file.type === 'application/json') return 'json';
  return undefined;
}

function xhrUpload(
  url: string,
  input: UploadInput,
  token: string | null,
): Promise<{ status: number; body: unknown; requestId: string | null }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      input.onProgress?.({
        loaded: event.loaded,
        total: event.lengthComputable ? event.total : input.file.size,
      });
    };
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText) as unknown;
      } catch {
        // keep the text
      }
      resolve({ status: xhr.status, body, requestId: xhr.getResponseHeader('x-request-id') });
    };
    xhr.onerror = () => {
      reject(networkError(new Error('the upload was interrupted')));
    };
    xhr.onabort = () => {
      reject(new DOMException('The upload was cancelled', 'AbortError'));
    };
    if (input.signal) {
      if (input.signal.aborted) {
        reject(new DOMException('The upload was cancelled', 'AbortError'));
        return;
      }
      input.signal.addEventListener(
        'abort',
        () => {
          xhr.abort();
        },
        { once: true },
      );
    }
    const form = new FormData();
    form.append('file', input.file, input.file.name);
    xhr.send(form);
  });
}

/** A map as the JSON query value the upload takes; nothing when it is empty. */
function jsonParam(value: Record<string, string> | undefined): string | undefined {
  return value && Object.keys(value).length > 0 ? JSON.stringify(value) : undefined;
}

async function upload(path: string, input: UploadInput): Promise<Dataset> {
  const url = buildUrl(path, {
    name: input.name,
    format: input.format ?? guessFormat(input.file),
    types: jsonParam(input.types),
    roles: jsonParam(input.roles),
    date_order: input.date_order,
    decimal: input.decimal,
    quoted_newlines: input.quoted_newlines,
  });
  let result = await xhrUpload(url, input, await getAccessToken());
  if (result.status === 401) {
    const session = await refreshSession();
    if (session) result = await xhrUpload(url, input, session.access_token);
  }
  if (result.status < 200 || result.status >= 300) {
    throw problemToError(result.body, result.status, result.requestId);
  }
  return result.body as Dataset;
}

/** Upload a file as a new dataset (XMLHttpRequest, for upload progress). */
export function uploadDataset(input: UploadInput): Promise<Dataset> {
  return upload('/datasets', input);
}

/** Upload a new version of a dataset, optionally with column settings. */
export function uploadDatasetVersion(id: string, input: UploadInput): Promise<Dataset> {
  return upload(`/datasets/${encodeURIComponent(id)}/versions`, input);
}

export type DatasetEventType = 'progress' | 'ready' | 'failed';

/**
 * Follow a dataset's processing over Server-Sent Events (fetch + stream reader, since
 * EventSource cannot send a bearer token). Resolves when the stream ends.
 */
export async function streamDatasetEvents(
  id: string,
  onEvent: (type: DatasetEventType, dataset: Dataset) => void,
  signal?: AbortSignal,
): Promise<{ retry: number | undefined }> {
  const response = await apiFetch(`/datasets/${encodeURIComponent(id)}/events`, {
    accept: 'text/event-stream',
    signal,
  });
  if (!response.body) {
    throw new ApiError({
      status: response.status,
      title: 'No event stream',
      detail: 'the answer has no body',
    });
  }
  return readEventStream(
    response.body,
    (event) => {
      if (event.event !== 'progress' && event.event !== 'ready' && event.event !== 'failed') return;
      try {
        onEvent(event.event, JSON.parse(event.data) as Dataset);
      } catch {
        // a malformed event is skipped
      }
    },
    signal,
  );
}

export { API_BASE };
