import { useEffect, useId, useRef, useState, type DragEvent } from 'react';
import type { ColumnType } from '../../api/types';
import { ColumnTypesEditor } from '../../components/ColumnTypesEditor';
import { typeHints } from '../../components/columnTypes';
import { TextField } from '../../components/Field';
import { formatBytes } from '../../lib/format';
import { readCsvHeader } from './csvHeader';

export const ACCEPTED_FILES =
  '.csv,.json,.ndjson,.jsonl,text/csv,application/json,application/x-ndjson';

export type UploadRequest = { file: File; name?: string; types?: Record<string, ColumnType> };

type UploadZoneProps = {
  onUpload: (request: UploadRequest) => void;
  /** Bigger, friendlier copy when there is nothing yet. */
  empty?: boolean;
};

type Staged = {
  file: File;
  name: string;
  columns: string[];
  types: Partial<Record<string, ColumnType>>;
};

function baseName(fileName: string): string {
  return fileName.replace(/\.(csv|json|ndjson|jsonl)$/i, '');
}

/** Drag and drop (or choose) files to upload; optionally review the name and column types first. */
export function UploadZone({ onUpload, empty = false }: UploadZoneProps) {
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [review, setReview] = useState(false);
  const [staged, setStaged] = useState<Staged | null>(null);
  const reviewId = useId();
  const stagedForm = useRef<HTMLFormElement>(null);
  const stagedFile = staged?.file;

  // Move focus into the review form when it appears.
  useEffect(() => {
    if (stagedFile) stagedForm.current?.querySelector<HTMLInputElement>('input')?.focus();
  }, [stagedFile]);

  const accept = async (files: File[]) => {
    if (files.length === 0) return;
    const first = files[0];
    if (review && first) {
      const columns =
        /\.csv$/i.test(first.name) || first.type === 'text/csv' ? await readCsvHeader(first) : [];
      setStaged({ file: first, name: baseName(first.name), columns, types: {} });
      return;
    }
    for (const file of files) onUpload({ file, name: baseName(file.name) });
  };

  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    setDragging(false);
    void accept(Array.from(event.dataTransfer.files));
  };

  if (staged) {
    return (
      <form
        ref={stagedForm}
        className="staged"
        aria-label="Review the upload"
        onSubmit={(event) => {
          event.preventDefault();
          onUpload({
            file: staged.file,
            name: staged.name.trim() || baseName(staged.file.name),
            types: typeHints(staged.types),
          });
          setStaged(null);
        }}
      >
        <p className="staged__file">
          <strong>{staged.file.name}</strong> · {formatBytes(staged.file.size)}
        </p>
        <TextField
          label="Dataset name"
          value={staged.name}
          onChange={(e) => setStaged({ ...staged, name: e.target.value })}
        />
        {staged.columns.length > 0 ? (
          <fieldset className="fieldset">
            <legend>Column types</legend>
            <p className="muted small">
              Types are detected automatically; override any that come out wrong.
            </p>
            <ColumnTypesEditor
              caption="Column types for the upload"
              columns={staged.columns.map((name) => ({ name }))}
              value={staged.types}
              onChange={(types) => setStaged({ ...staged, types })}
            />
          </fieldset>
        ) : null}
        <div className="button-row">
          <button type="submit" className="button">
            Upload
          </button>
          <button
            type="button"
            className="button button--secondary"
            onClick={() => setStaged(null)}
          >
            Cancel
          </button>
        </div>
      </form>
    );
  }

  return (
    <div
      className={`dropzone${dragging ? ' dropzone--active' : ''}${empty ? ' dropzone--empty' : ''}`}
      data-testid="upload-zone"
      onDragEnter={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragOver={(event) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <svg className="dropzone__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <path
          d="M12 16V4m0 0l-4 4m4-4l4 4M4 16v2a2 2 0 002 2h12a2 2 0 002-2v-2"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.8"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      </svg>
      <p className="dropzone__title">
        {empty ? 'No datasets yet — drop a CSV here' : 'Drop a CSV, JSON or NDJSON file here'}
      </p>
      <p className="dropzone__hint">
        {empty ? 'CSV, JSON and NDJSON files work. ' : ''}
        or{' '}
        <button
          type="button"
          className="button button--small"
          onClick={() => input.current?.click()}
        >
          Choose a file
        </button>
      </p>
      <input
        ref={input}
        type="file"
        className="visually-hidden"
        tabIndex={-1}
        accept={ACCEPTED_FILES}
        multiple
        aria-label="File to upload"
        data-testid="upload-input"
        onChange={(event) => {
          const files = Array.from(event.target.files ?? []);
          event.target.value = '';
          void accept(files);
        }}
      />
      <div className="checkbox dropzone__review">
        <input
          id={reviewId}
          type="checkbox"
          checked={review}
          onChange={(e) => setReview(e.target.checked)}
        />
        <label htmlFor={reviewId}>Review the name and column types before uploading</label>
      </div>
    </div>
  );
}
