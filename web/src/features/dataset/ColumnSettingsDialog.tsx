import { useId, useState } from 'react';
import {
  COLUMN_ROLES,
  COLUMN_TYPES,
  type ColumnRole,
  type ColumnType,
  type Dataset,
  type DateOrderHint,
  type DecimalMarkHint,
  type Schema,
  type SchemaColumn,
} from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ProblemAlert } from '../../components/ProblemAlert';
import { isFinal } from '../datasets/useDatasetEvents';
import {
  changeCount,
  currentMark,
  initialChoice,
  isNumber,
  isTemporal,
  reprocessBody,
  typeHintFor,
  type ColumnChoice,
} from './columnSettings';
import { dateOrderLabel, dateOrderSourceLabel } from './labels';
import { useReprocess } from './useReprocess';

type ColumnSettingsDialogProps = {
  dataset: Dataset;
  /** The schema of the version on screen: its columns and what was detected. */
  schema: Schema;
  open: boolean;
  onClose: () => void;
};

/** The first option of the day/month select: what the version has now. */
function detectedOrderLabel(column: SchemaColumn, choice: ColumnChoice): string {
  if (choice.type !== column.type || !column.date_order) return 'Detected';
  const order = dateOrderLabel(column.date_order);
  if (column.date_order_source === 'hint') return `As set (${order})`;
  return column.date_order_source
    ? `Detected (${order} · ${dateOrderSourceLabel(column.date_order_source)})`
    : `Detected (${order})`;
}

function detectedMarkLabel(column: SchemaColumn, choice: ColumnChoice): string {
  const mark = currentMark(column);
  if (choice.type !== column.type || !mark) return 'Detected';
  return `Detected (${mark})`;
}

/**
 * Type, role, day/month order and decimal mark per column. Submitting reads the stored file of
 * the latest version again with only the changed settings (POST /reprocess): nothing to upload.
 */
export function ColumnSettingsDialog({
  dataset,
  schema,
  open,
  onClose,
}: ColumnSettingsDialogProps) {
  const reprocess = useReprocess(dataset.id);
  const [choices, setChoices] = useState<Partial<Record<string, ColumnChoice>>>({});
  const formId = useId();
  const body = reprocessBody(schema.columns, choices);
  const changes = changeCount(body);
  // The server refuses (409) to read a version that is still queued or processing.
  const processing = !isFinal(dataset);

  const close = () => {
    setChoices({});
    reprocess.reset();
    onClose();
  };

  const choose = (column: SchemaColumn, change: Partial<ColumnChoice>) => {
    setChoices((current) => ({
      ...current,
      [column.name]: { ...(current[column.name] ?? initialChoice(column)), ...change },
    }));
  };

  const submit = () => {
    if (changes === 0 || processing || reprocess.isPending) return;
    reprocess.mutate(body, { onSuccess: close });
  };

  return (
    <Dialog
      open={open}
      title="Column settings"
      onClose={close}
      testId="column-settings-dialog"
      wide
      footer={
        <>
          <button type="button" className="button button--secondary" onClick={close}>
            Cancel
          </button>
          <button
            type="submit"
            form={formId}
            className="button"
            disabled={changes === 0 || processing || reprocess.isPending}
          >
            {reprocess.isPending
              ? 'Starting…'
              : changes > 0
                ? `Reprocess with ${changes} ${changes === 1 ? 'change' : 'changes'}`
                : 'Reprocess'}
          </button>
        </>
      }
    >
      <p className="muted small">
        Version {dataset.version + 1} of <strong>{dataset.name}</strong> reads the file of version{' '}
        {dataset.version} again with these settings — nothing is uploaded. The dataset keeps them
        for later versions.
      </p>
      {processing ? (
        <p className="alert alert--info" role="status">
          Version {dataset.version} is still being processed; change the settings once it is done.
        </p>
      ) : null}
      <form
        id={formId}
        aria-label="Column settings"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <div className="table-scroll">
          <table className="table table--compact settings-table">
            <caption className="visually-hidden">Settings per column</caption>
            <thead>
              <tr>
                <th scope="col">Column</th>
                <th scope="col">Type</th>
                <th scope="col">Role</th>
                <th scope="col">Day and month</th>
                <th scope="col">Decimal mark</th>
              </tr>
            </thead>
            <tbody>
              {schema.columns.map((column) => {
                const choice = choices[column.name] ?? initialChoice(column);
                const changed =
                  typeHintFor(column, choice) !== undefined || choice.role !== column.role;
                return (
                  <tr
                    key={column.name}
                    data-column={column.name}
                    className={changed ? 'row--changed' : undefined}
                  >
                    <th scope="row">
                      <code>{column.name}</code>
                    </th>
                    <td>
                      <select
                        className="select select--small"
                        aria-label={`Type of ${column.name}`}
                        value={choice.type}
                        onChange={(e) => choose(column, { type: e.target.value as ColumnType })}
                      >
                        {COLUMN_TYPES.map((type) => (
                          <option key={type} value={type}>
                            {type}
                            {type === column.type ? (column.hinted ? ' (set)' : ' (detected)') : ''}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <select
                        className="select select--small"
                        aria-label={`Role of ${column.name}`}
                        value={choice.role}
                        onChange={(e) => choose(column, { role: e.target.value as ColumnRole })}
                      >
                        {COLUMN_ROLES.map((role) => (
                          <option key={role} value={role}>
                            {role}
                            {role === column.role ? ' (now)' : ''}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      {isTemporal(choice.type) ? (
                        <select
                          className="select select--small"
                          aria-label={`Day and month order of ${column.name}`}
                          value={choice.order}
                          onChange={(e) =>
                            choose(column, { order: e.target.value as DateOrderHint | '' })
                          }
                        >
                          <option value="">{detectedOrderLabel(column, choice)}</option>
                          <option value="dmy">Day first (DD/MM)</option>
                          <option value="mdy">Month first (MM/DD)</option>
                        </select>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>
                      {isNumber(choice.type) ? (
                        <select
                          className="select select--small"
                          aria-label={`Decimal mark of ${column.name}`}
                          value={choice.mark}
                          onChange={(e) =>
                            choose(column, { mark: e.target.value as DecimalMarkHint | '' })
                          }
                        >
                          <option value="">{detectedMarkLabel(column, choice)}</option>
                          <option value="point">Point (1,234.56)</option>
                          <option value="comma">Comma (1.234,56)</option>
                        </select>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </form>
      {reprocess.isError ? (
        <ProblemAlert
          error={reprocess.error}
          context="Could not reprocess the dataset"
          showFieldErrors
        />
      ) : null}
    </Dialog>
  );
}
