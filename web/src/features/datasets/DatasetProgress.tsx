import type { Dataset } from '../../api/types';
import { ProgressBar } from '../../components/ProgressBar';
import { formatDuration, formatInteger, formatNumber } from '../../lib/format';
import { isFinal, useDatasetEvents } from './useDatasetEvents';

type DatasetProgressProps = { dataset: Dataset };

/** Live processing progress (percent, rows, time left) over Server-Sent Events. */
export function DatasetProgress({ dataset }: DatasetProgressProps) {
  const live = useDatasetEvents(dataset);
  if (dataset.status === 'failed') {
    return (
      <p className="dataset-error" data-testid="dataset-error">
        <strong>Processing failed:</strong> {dataset.error ?? 'no reason was given'}
      </p>
    );
  }
  if (isFinal(dataset)) return null;
  const { progress } = dataset;
  const queued = dataset.status === 'queued';
  return (
    <div className="dataset-progress" data-testid="processing">
      <ProgressBar
        value={queued ? undefined : progress.percent}
        label={`Processing ${dataset.name}`}
        testId="processing-progress"
      />
      <p className="dataset-progress__text small muted" aria-live="polite">
        {queued ? (
          'Waiting for a worker…'
        ) : (
          <>
            <span data-testid="processing-percent">
              {formatNumber(progress.percent, { maxFractionDigits: 0 })}%
            </span>
            {' · '}
            {formatInteger(progress.rows)} rows
            {progress.eta_seconds !== null
              ? ` · about ${formatDuration(progress.eta_seconds)} left`
              : ''}
          </>
        )}
        {live.error ? ' · reconnecting…' : ''}
      </p>
    </div>
  );
}
