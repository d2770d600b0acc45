import { useEffect, useRef, useState } from 'react';
import { toApiError, type ApiError } from '../api/errors';
import { waitForSnapshot } from '../api/snapshot';
import { saveBlob } from '../lib/download';
import { ProblemAlert } from './ProblemAlert';

type DownloadButtonProps = {
  label: string;
  fallbackName: string;
  fetchFile: () => Promise<{ blob: Blob; filename: string | null }>;
  testId?: string;
  className?: string;
  /** Not available now (e.g. the snapshot an export reads is still being written). */
  disabled?: boolean;
  /** Why the button is disabled, as its tooltip. */
  title?: string | undefined;
};

type Phase = 'idle' | 'busy' | 'preparing';

/**
 * Fetch a file through the API client (with the bearer token) and save it via a Blob. A file
 * that reads the version's snapshot waits, by itself, while the snapshot is being written
 * (409 snapshot-pending, asked again after Retry-After).
 */
export function DownloadButton({
  label,
  fallbackName,
  fetchFile,
  testId,
  className,
  disabled = false,
  title,
}: DownloadButtonProps) {
  const [phase, setPhase] = useState<Phase>('idle');
  const [error, setError] = useState<ApiError | null>(null);
  const running = useRef<AbortController | null>(null);
  useEffect(
    () => () => {
      running.current?.abort();
    },
    [],
  );
  const run = async () => {
    const controller = new AbortController();
    running.current = controller;
    setPhase('busy');
    setError(null);
    try {
      const { blob, filename } = await waitForSnapshot(fetchFile, {
        signal: controller.signal,
        onPending: () => setPhase('preparing'),
      });
      saveBlob(blob, filename ?? fallbackName);
    } catch (caught) {
      if (controller.signal.aborted) return;
      setError(toApiError(caught));
    } finally {
      if (!controller.signal.aborted) setPhase('idle');
    }
  };
  return (
    <>
      <button
        type="button"
        className={className ?? 'button button--secondary button--small'}
        onClick={run}
        disabled={disabled || phase !== 'idle'}
        title={title}
        data-testid={testId}
      >
        <svg viewBox="0 0 20 20" width="14" height="14" aria-hidden="true" focusable="false">
          <path
            d="M10 3v10m0 0l-4-4m4 4l4-4M4 16h12"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.8"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
        {phase === 'preparing' ? 'Preparing…' : phase === 'busy' ? 'Downloading…' : label}
      </button>
      {phase === 'preparing' ? (
        <span className="small muted" role="status" data-testid="download-preparing">
          Preparing the file… (the snapshot is being written)
        </span>
      ) : null}
      {error ? <ProblemAlert error={error} context="The download failed" /> : null}
    </>
  );
}
