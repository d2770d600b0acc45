import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, parseProblem } from './errors';
import {
  isSnapshotFailed,
  isSnapshotPending,
  SNAPSHOT_RETRY_DEFAULT_MS,
  SNAPSHOT_RETRY_MAX_MS,
  snapshotRetryDelay,
  waitForSnapshot,
} from './snapshot';

afterEach(() => {
  vi.useRealTimers();
});

function problem(status: number, slug: string, headers: Record<string, string> = {}) {
  return parseProblem(
    new Response(
      JSON.stringify({
        type: `https://insightstream.dev/problems/${slug}`,
        title: slug,
        status,
        detail: `${slug} detail`,
      }),
      { status, headers: { 'Content-Type': 'application/problem+json', ...headers } },
    ),
  );
}

describe('snapshot problems', () => {
  it('tells snapshot-pending and snapshot-failed by the slug of the problem type', async () => {
    const pending = await problem(409, 'snapshot-pending', { 'Retry-After': '1' });
    const failed = await problem(409, 'snapshot-failed');
    const other = await problem(409, 'not-ready');
    expect(isSnapshotPending(pending)).toBe(true);
    expect(isSnapshotPending(failed)).toBe(false);
    expect(isSnapshotPending(other)).toBe(false);
    expect(isSnapshotPending(new Error('snapshot-pending'))).toBe(false);
    expect(isSnapshotFailed(failed)).toBe(true);
    expect(isSnapshotFailed(pending)).toBe(false);
    expect(failed.detail).toBe('snapshot-failed detail');
  });

  it('waits Retry-After (default 2 s, at most 10 s) before asking again', async () => {
    expect(snapshotRetryDelay(await problem(409, 'snapshot-pending', { 'Retry-After': '1' }))).toBe(
      1000,
    );
    expect(snapshotRetryDelay(await problem(409, 'snapshot-pending'))).toBe(
      SNAPSHOT_RETRY_DEFAULT_MS,
    );
    expect(SNAPSHOT_RETRY_DEFAULT_MS).toBe(2000);
    expect(
      snapshotRetryDelay(await problem(409, 'snapshot-pending', { 'Retry-After': '3600' })),
    ).toBe(SNAPSHOT_RETRY_MAX_MS);
    expect(SNAPSHOT_RETRY_MAX_MS).toBe(10_000);
    // Retry-After: 0 must not make a tight loop.
    expect(
      snapshotRetryDelay(await problem(409, 'snapshot-pending', { 'Retry-After': '0' })),
    ).toBeGreaterThan(0);
  });
});

describe('waitForSnapshot', () => {
  it('asks again after Retry-After while the snapshot is written, then answers', async () => {
    vi.useFakeTimers();
    const pending = await problem(409, 'snapshot-pending', { 'Retry-After': '1' });
    const fn = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(pending)
      .mockRejectedValueOnce(pending)
      .mockResolvedValue('file');
    const onPending = vi.fn();
    const result = waitForSnapshot(fn, { onPending });
    await vi.advanceTimersByTimeAsync(999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(result).resolves.toBe('file');
    expect(fn).toHaveBeenCalledTimes(3);
    expect(onPending).toHaveBeenCalledTimes(2);
  });

  it('throws a failed snapshot (and any other error) at once', async () => {
    const failed = await problem(409, 'snapshot-failed');
    const fn = vi.fn<() => Promise<string>>().mockRejectedValue(failed);
    await expect(waitForSnapshot(fn)).rejects.toBe(failed);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const pending = new ApiError({ status: 409, title: 'x', type: '/problems/snapshot-pending' });
    const result = waitForSnapshot(() => Promise.reject(pending), {
      signal: controller.signal,
      onPending: () => controller.abort(),
    });
    await expect(result).rejects.toMatchObject({ name: 'AbortError' });
  });
});
