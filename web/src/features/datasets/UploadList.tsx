import { Link } from 'react-router';
import { ProblemAlert } from '../../components/ProblemAlert';
import { ProgressBar } from '../../components/ProgressBar';
import { formatBytes, formatPercent } from '../../lib/format';
import type { UploadItem } from './useUploads';

type UploadListProps = {
  items: UploadItem[];
  onCancel: (key: string) => void;
  onDismiss: (key: string) => void;
};

export function UploadList({ items, onCancel, onDismiss }: UploadListProps) {
  if (items.length === 0) return null;
  return (
    <ul className="uploads" aria-label="Uploads">
      {items.map((item) => {
        const ratio = item.total > 0 ? item.loaded / item.total : 0;
        return (
          <li key={item.key} className="upload" data-testid="upload-item" data-state={item.state}>
            <div className="upload__head">
              <span className="upload__name">{item.fileName}</span>
              <span className="upload__meta" aria-live="polite">
                {item.state === 'uploading'
                  ? `Uploading ${formatPercent(ratio, { signed: false, digits: 0 })} · ${formatBytes(item.loaded)} of ${formatBytes(item.total)}`
                  : null}
                {item.state === 'accepted' ? 'Uploaded — processing' : null}
                {item.state === 'error' ? 'Upload failed' : null}
              </span>
              {item.state === 'uploading' ? (
                <button
                  type="button"
                  className="button button--ghost button--small"
                  onClick={() => onCancel(item.key)}
                >
                  Cancel
                </button>
              ) : null}
              {item.state === 'accepted' && item.dataset ? (
                <Link
                  className="button button--ghost button--small"
                  to={`/datasets/${item.dataset.id}`}
                >
                  Open
                </Link>
              ) : null}
              {item.state === 'error' ? (
                <button
                  type="button"
                  className="button button--ghost button--small"
                  onClick={() => onDismiss(item.key)}
                >
                  Dismiss
                </button>
              ) : null}
            </div>
            {item.state === 'error' ? (
              <ProblemAlert error={item.error} showFieldErrors />
            ) : (
              <ProgressBar
                value={item.state === 'accepted' ? 100 : ratio * 100}
                label={`Upload of ${item.fileName}`}
                testId="upload-progress"
                tone={item.state === 'accepted' ? 'success' : 'accent'}
              />
            )}
          </li>
        );
      })}
    </ul>
  );
}
