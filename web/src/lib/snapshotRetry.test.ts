import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import { SNAPSHOT_MAX_RETRIES } from '../api/snapshot';
import { createQueryClient } from './queryClient';
import { isWaitingForSnapshot, snapshotRetryOptions } from './snapshotRetry';

const pending = new ApiError({
  status: 409,
  title: 'The snapshot is being written',
  type: 'https://insightstream.dev/problems/snapshot-pending',
  retryAfter: 1,
});
const failed = new ApiError({
  status: 409,
  title: 'The snapshot could not be written',
  detail: 'disk full',
  type: 'https://insightstream.dev/problems/snapshot-failed',
});
const serverError = new ApiError({ status: 500, title: 'Server error' });

describe('snapshotRetryOptions', () => {
  it("retries snapshot-pending after Retry-After and leaves the rest to the app's policy", () => {
    const app = createQueryClient().getDefaultOptions().queries;
    const { retry, retryDelay } = snapshotRetryOptions({ retry: app?.retry });
    expect(retry(0, pending)).toBe(true);
    expect(retry(5, pending)).toBe(true);
    expect(retry(SNAPSHOT_MAX_RETRIES, pending)).toBe(false);
    expect(retryDelay(0, pending)).toBe(1000);
    const withoutRetryAfter = new ApiError({ status: 409, title: 'x', type: pending.type });
    expect(retryDelay(3, withoutRetryAfter)).toBe(2000);
    // A failed snapshot is a 4xx: never retried.
    expect(retry(0, failed)).toBe(false);
    // A 5xx: twice, with the default back-off.
    expect(retry(1, serverError)).toBe(true);
    expect(retry(2, serverError)).toBe(false);
    expect(retryDelay(1, serverError)).toBe(2000);
  });

  it('keeps a client without retries (tests) from retrying anything else', () => {
    const { retry } = snapshotRetryOptions({ retry: false });
    expect(retry(0, pending)).toBe(true);
    expect(retry(0, failed)).toBe(false);
    expect(retry(0, serverError)).toBe(false);
    expect(snapshotRetryOptions({ retry: 1 }).retry(0, serverError)).toBe(true);
  });

  it('waits for the snapshot only while fetching after a snapshot-pending answer', () => {
    expect(isWaitingForSnapshot({ isFetching: true, failureReason: pending })).toBe(true);
    expect(isWaitingForSnapshot({ isFetching: false, failureReason: pending })).toBe(false);
    expect(isWaitingForSnapshot({ isFetching: true, failureReason: failed })).toBe(false);
    expect(isWaitingForSnapshot({ isFetching: true, failureReason: null })).toBe(false);
  });
});
