import { useState } from 'react';
import { toApiError, type ApiError } from '../api/errors';
import { saveBlob } from '../lib/download';
import { ProblemAlert } from './ProblemAlert';

type DownloadButtonProps = {
  label: string;
  fallbackName: string;
  fetchFile: () => Promise<{ blob: Blob; filename: string | null }>;
  testId?: string;
  className?: string;
};

/** Fetch a file through the API client (with the bearer token) and save it via a Blob. */
export function DownloadButton({
  label,
  fallbackName,
  fetchFile,
  testId,
  className,
}: DownloadButtonProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const { blob, filename } = await fetchFile();
      saveBlob(blob, filename ?? fallbackName);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className={className ?? 'button button--secondary button--small'}
        onClick={run}
        disabled={busy}
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
        {busy ? 'Downloading…' : label}
      </button>
      {error ? <ProblemAlert error={error} context="The download failed" /> : null}
    </>
  );
}
