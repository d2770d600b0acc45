// The retry policy of every query that reads a version's snapshot (POST /query): while the
// snapshot is written (409 snapshot-pending) ask again after Retry-After, without anyone doing
// anything; every other error keeps the query client's own policy (a failed snapshot, a 4xx, is
// not retried).

import { useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { isSnapshotPending, SNAPSHOT_MAX_RETRIES, snapshotRetryDelay } from '../api/snapshot';

type ShouldRetry = (failureCount: number, error: Error) => boolean;
type RetryDelay = (failureCount: number, error: Error) => number;
export type RetryOption = boolean | number | ShouldRetry;
export type RetryDelayOption = number | RetryDelay;

/** TanStack Query's own defaults, for a client that sets none. */
const DEFAULT_RETRY = 3;
const defaultRetryDelay: RetryDelay = (failureCount) => Math.min(1000 * 2 ** failureCount, 30_000);

export type SnapshotRetryOptions = { retry: ShouldRetry; retryDelay: RetryDelay };

/**
 * `retry` and `retryDelay` for a query that reads the snapshot: snapshot-pending is retried
 * (up to SNAPSHOT_MAX_RETRIES times, after Retry-After, default 2 s, at most 10 s); anything else
 * as `fallback` says (the query client's default options).
 */
export function snapshotRetryOptions(
  fallback: { retry?: RetryOption | undefined; retryDelay?: RetryDelayOption | undefined } = {},
): SnapshotRetryOptions {
  const retry = fallback.retry ?? DEFAULT_RETRY;
  const delay = fallback.retryDelay ?? defaultRetryDelay;
  return {
    retry: (failureCount, error) => {
      if (isSnapshotPending(error)) return failureCount < SNAPSHOT_MAX_RETRIES;
      if (typeof retry === 'function') return retry(failureCount, error);
      if (typeof retry === 'number') return failureCount < retry;
      return retry;
    },
    retryDelay: (failureCount, error) => {
      if (isSnapshotPending(error)) return snapshotRetryDelay(error);
      return typeof delay === 'function' ? delay(failureCount, error) : delay;
    },
  };
}

/** snapshotRetryOptions over the query client's default options. */
export function useSnapshotRetry(): SnapshotRetryOptions {
  const queries = useQueryClient().getDefaultOptions().queries;
  const retry = queries?.retry;
  const retryDelay = queries?.retryDelay;
  return useMemo(() => snapshotRetryOptions({ retry, retryDelay }), [retry, retryDelay]);
}

/**
 * Whether a query is waiting for the snapshot: it is (re)fetching and its last attempt answered
 * snapshot-pending. Panels show a calm "preparing" state then, not an error.
 */
export function isWaitingForSnapshot(query: { isFetching: boolean; failureReason: unknown }) {
  return query.isFetching && isSnapshotPending(query.failureReason);
}
