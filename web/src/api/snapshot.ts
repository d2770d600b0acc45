// A version is ready as soon as its insights are computed; its columnar snapshot (Parquet), which
// POST /query and the export read, is written a few seconds later. Meanwhile those answer 409
// snapshot-pending with Retry-After; a snapshot that could not be written answers 409
// snapshot-failed with the reason in `detail`.

import { ApiError } from './errors';

export const SNAPSHOT_PENDING = 'snapshot-pending';
export const SNAPSHOT_FAILED = 'snapshot-failed';

/** The wait before asking again when the answer has no Retry-After. */
export const SNAPSHOT_RETRY_DEFAULT_MS = 2_000;
/** The longest wait between two questions, whatever Retry-After says. */
export const SNAPSHOT_RETRY_MAX_MS = 10_000;
/** The shortest wait (Retry-After: 0 would ask in a tight loop). */
export const SNAPSHOT_RETRY_MIN_MS = 250;
/** How many times a question is asked again while the snapshot is written (minutes, at most). */
export const SNAPSHOT_MAX_RETRIES = 60;

/** 409 snapshot-pending: the version is ready but its snapshot is still being written. */
export function isSnapshotPending(error: unknown): error is ApiError {
  return error instanceof ApiError && error.code === SNAPSHOT_PENDING;
}

/** 409 snapshot-failed: the snapshot could not be written; asking again does not help. */
export function isSnapshotFailed(error: unknown): error is ApiError {
  return error instanceof ApiError && error.code === SNAPSHOT_FAILED;
}

/** Milliseconds to wait before asking again: Retry-After (default 2 s), capped at 10 s. */
export function snapshotRetryDelay(error: unknown): number {
  const seconds = error instanceof ApiError ? error.retryAfter : undefined;
  if (seconds === undefined || !Number.isFinite(seconds)) return SNAPSHOT_RETRY_DEFAULT_MS;
  return Math.min(Math.max(seconds * 1000, SNAPSHOT_RETRY_MIN_MS), SNAPSHOT_RETRY_MAX_MS);
}

function abortError(): DOMException {
  return new DOMException('The request was cancelled', 'AbortError');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export type WaitForSnapshotOptions = {
  signal?: AbortSignal;
  /** Called with every snapshot-pending answer, before the wait. */
  onPending?: (error: ApiError) => void;
  maxRetries?: number;
};

/**
 * Run `fn` (a request that reads the snapshot: a download, an export) and, while it answers
 * snapshot-pending, run it again after Retry-After. Any other error, a failed snapshot included,
 * is thrown at once; so is the last snapshot-pending after `maxRetries` waits.
 */
export async function waitForSnapshot<T>(
  fn: () => Promise<T>,
  { signal, onPending, maxRetries = SNAPSHOT_MAX_RETRIES }: WaitForSnapshotOptions = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isSnapshotPending(error) || attempt >= maxRetries) throw error;
      onPending?.(error);
      await sleep(snapshotRetryDelay(error), signal);
    }
  }
}
