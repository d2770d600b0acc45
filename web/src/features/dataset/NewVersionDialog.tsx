import { useId, useState } from 'react';
import type { ColumnType, Dataset, Schema } from '../../api/types';
import { ColumnTypesEditor } from '../../components/ColumnTypesEditor';
import { typeHints } from '../../components/columnTypes';
import { Dialog } from '../../components/Dialog';
import { ProblemAlert } from '../../components/ProblemAlert';
import { ProgressBar } from '../../components/ProgressBar';
import { formatBytes } from '../../lib/format';
import { ACCEPTED_FILES } from '../datasets/UploadZone';
import { useUploads } from '../datasets/useUploads';

/** The column settings the dataset remembers, as "day: date:dmy", "region: dimension". */
function rememberedSettings(dataset: Dataset): string[] {
  const options = dataset.column_options ?? {};
  const list = [
    ...Object.entries(options.types ?? {}).map(([column, hint]) => `${column}: ${hint}`),
    ...Object.entries(options.roles ?? {}).map(([column, role]) => `${column}: ${role}`),
  ];
  if (options.date_order) list.push(`dates ${options.date_order}`);
  if (options.decimal) list.push(`decimal ${options.decimal}`);
  return list;
}

type NewVersionDialogProps = {
  dataset: Dataset;
  schema: Schema | undefined;
  open: boolean;
  onClose: () => void;
};

/**
 * Upload a new file as the next version of a dataset, optionally with column type overrides
 * (?types=). Reading the current file again with other settings needs no upload: that is the
 * column settings dialog (POST /reprocess).
 */
export function NewVersionDialog({ dataset, schema, open, onClose }: NewVersionDialogProps) {
  const uploads = useUploads();
  const [file, setFile] = useState<File | null>(null);
  const [types, setTypes] = useState<Partial<Record<string, ColumnType>>>({});
  const fileId = useId();
  const current = uploads.items[uploads.items.length - 1];
  const busy = current?.state === 'uploading';

  const close = () => {
    if (current && busy) uploads.cancel(current.key);
    setFile(null);
    setTypes({});
    onClose();
  };

  const submit = async () => {
    if (!file) return;
    const result = await uploads.start({ file, datasetId: dataset.id, types: typeHints(types) });
    if (result) close();
  };

  const hints = typeHints(types);
  const remembered = rememberedSettings(dataset);
  return (
    <Dialog
      open={open}
      title="Upload a new version"
      onClose={close}
      testId="new-version-dialog"
      footer={
        <>
          <button type="button" className="button button--secondary" onClick={close}>
            Cancel
          </button>
          <button
            type="button"
            className="button"
            onClick={() => void submit()}
            disabled={!file || busy}
          >
            {busy
              ? 'Uploading…'
              : Object.keys(hints).length > 0
                ? 'Upload with these types'
                : 'Upload new version'}
          </button>
        </>
      }
    >
      <p className="muted small">
        Version {dataset.version + 1} of <strong>{dataset.name}</strong> replaces the insights once
        it is processed. The settings the dataset keeps (types, roles, date order) apply to the new
        file too.
      </p>
      {remembered.length > 0 ? (
        <p className="small" data-testid="remembered-settings">
          Kept settings: {remembered.join(', ')}
        </p>
      ) : null}
      <p className="muted small">
        To read the current file again with other column settings, use <em>Column settings</em>{' '}
        under Columns instead: nothing needs uploading.
      </p>
      <div className="field">
        <label htmlFor={fileId} className="field__label">
          File
        </label>
        <input
          id={fileId}
          type="file"
          className="input input--file"
          accept={ACCEPTED_FILES}
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          data-testid="new-version-file"
        />
        {file ? <p className="field__hint">{formatBytes(file.size)}</p> : null}
      </div>
      {schema ? (
        <details className="disclosure">
          <summary>
            Column types{' '}
            {Object.keys(hints).length > 0 ? `(${Object.keys(hints).length} changed)` : ''}
          </summary>
          <ColumnTypesEditor
            caption="Column types of the new version"
            columns={schema.columns.map((c) => ({ name: c.name, current: c.type }))}
            value={types}
            onChange={setTypes}
          />
        </details>
      ) : null}
      {current?.state === 'uploading' ? (
        <ProgressBar
          value={current.total ? (current.loaded / current.total) * 100 : 0}
          label="Upload progress"
        />
      ) : null}
      {current?.state === 'error' ? <ProblemAlert error={current.error} showFieldErrors /> : null}
    </Dialog>
  );
}
