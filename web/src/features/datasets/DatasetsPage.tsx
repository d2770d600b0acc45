import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { useState } from 'react';
import { Link } from 'react-router';
import type { Dataset } from '../../api/types';
import { EmptyState } from '../../components/EmptyState';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { StatusBadge } from '../../components/StatusBadge';
import { formatBytes, formatDateTime, formatInteger } from '../../lib/format';
import { canChangeData } from '../auth/roles';
import { useSession } from '../auth/useAuth';
import { DatasetProgress } from './DatasetProgress';
import { DeleteDatasetDialog } from './DeleteDatasetDialog';
import { UploadList } from './UploadList';
import { UploadZone } from './UploadZone';
import { useDatasets } from './useDatasets';
import { useUploads } from './useUploads';

type DatasetRowProps = {
  dataset: Dataset;
  canDelete: boolean;
  onDelete: (dataset: Dataset) => void;
};

function DatasetRow({ dataset, canDelete, onDelete }: DatasetRowProps) {
  return (
    <li
      className="dataset-row"
      data-testid="dataset-row"
      data-dataset-id={dataset.id}
      data-status={dataset.status}
    >
      <div className="dataset-row__main">
        <Link to={`/datasets/${dataset.id}`} className="dataset-row__name">
          {dataset.name}
        </Link>
        <div className="dataset-row__meta small muted">
          <span>{dataset.format.toUpperCase()}</span>
          <span>{formatBytes(dataset.size_bytes)}</span>
          <span>v{dataset.version}</span>
          <span>
            <time dateTime={dataset.created_at}>{formatDateTime(dataset.created_at)}</time>
          </span>
        </div>
        <DatasetProgress dataset={dataset} />
      </div>
      <div className="dataset-row__stats">
        <StatusBadge status={dataset.status} />
        {dataset.status === 'ready' ? (
          <span className="small">
            <strong>{formatInteger(dataset.rows)}</strong> rows
            {dataset.rows_rejected ? (
              <span className="text-warning">
                {' '}
                · {formatInteger(dataset.rows_rejected)} rejected
              </span>
            ) : null}
          </span>
        ) : null}
      </div>
      {canDelete ? (
        <div className="dataset-row__actions">
          <button
            type="button"
            className="button button--ghost button--small button--danger-text"
            onClick={() => onDelete(dataset)}
            aria-label={`Delete ${dataset.name}`}
          >
            Delete
          </button>
        </div>
      ) : null}
    </li>
  );
}

export function DatasetsPage() {
  useDocumentTitle('Datasets');
  const { user } = useSession();
  const editor = canChangeData(user.role);
  const datasets = useDatasets();
  const uploads = useUploads();
  const [toDelete, setToDelete] = useState<Dataset | null>(null);

  const items = datasets.data?.pages.flatMap((page) => page.items) ?? [];
  const empty = datasets.isSuccess && items.length === 0;

  return (
    <div className="page">
      <header className="page__header">
        <div>
          <h1 className="page__title">Datasets</h1>
          <p className="page__subtitle">
            {editor
              ? 'Upload a file; InsightStream finds its columns, cleans it and computes the insights.'
              : 'Open a dataset to see its insights.'}
          </p>
        </div>
      </header>

      {editor ? (
        <section aria-label="Upload" className="upload-section">
          <UploadZone empty={empty} onUpload={(request) => void uploads.start(request)} />
          <UploadList items={uploads.items} onCancel={uploads.cancel} onDismiss={uploads.dismiss} />
        </section>
      ) : null}

      <section aria-labelledby="datasets-heading" className="datasets">
        <h2 id="datasets-heading" className="visually-hidden">
          All datasets
        </h2>
        {datasets.isPending ? <Loading label="Loading datasets…" /> : null}
        {datasets.isError ? (
          <ProblemAlert
            error={datasets.error}
            context="Could not load the datasets"
            onRetry={() => void datasets.refetch()}
          />
        ) : null}
        {empty && !editor ? (
          <EmptyState title="No datasets yet">
            <p>An analyst or admin of your organization can upload one.</p>
          </EmptyState>
        ) : null}
        {items.length > 0 ? (
          <ul className="dataset-list" data-testid="dataset-list">
            {items.map((dataset) => (
              <DatasetRow
                key={dataset.id}
                dataset={dataset}
                canDelete={editor}
                onDelete={setToDelete}
              />
            ))}
          </ul>
        ) : null}
        {datasets.hasNextPage ? (
          <div className="center">
            <button
              type="button"
              className="button button--secondary"
              onClick={() => void datasets.fetchNextPage()}
              disabled={datasets.isFetchingNextPage}
            >
              {datasets.isFetchingNextPage ? 'Loading…' : 'Show more'}
            </button>
          </div>
        ) : null}
      </section>

      {editor ? <DeleteDatasetDialog dataset={toDelete} onClose={() => setToDelete(null)} /> : null}
    </div>
  );
}
