import type { Dataset, ReprocessInput, Schema, SchemaColumn } from '../../api/types';
import { ProblemAlert } from '../../components/ProblemAlert';
import { isFinal } from '../datasets/useDatasetEvents';
import { isTemporal } from './columnSettings';
import { useReprocess } from './useReprocess';

type DateOrderPromptProps = {
  dataset: Dataset;
  /** The schema of the version on screen. */
  schema: Schema;
  /** May reprocess (analysts and up); others only read the notice. */
  editor: boolean;
};

type AssumedOrderProps = {
  dataset: Dataset;
  schema: Schema;
  column: SchemaColumn;
  editor: boolean;
};

function AssumedOrder({ dataset, schema, column, editor }: AssumedOrderProps) {
  const reprocess = useReprocess(dataset.id);
  const dayFirst = column.date_order === 'DMY';
  const written = column.format && /[DM]{2}/.test(column.format) ? column.format : null;
  const type = isTemporal(column.type) ? column.type : 'date';
  const read = (order: 'dmy' | 'mdy') => {
    const input: ReprocessInput = { types: { [column.name]: `${type}:${order}` } };
    // A newer version failed: read the file of the version on screen, whose dates these are.
    if (schema.version !== dataset.version) input.version = schema.version;
    reprocess.mutate(input);
  };
  const busy = reprocess.isPending;
  return (
    <div className="prompt" data-testid="date-order-prompt" data-column={column.name}>
      <p className="prompt__text">
        Dates in <code>{column.name}</code> were read {dayFirst ? 'day' : 'month'} first
        {written ? ` (${written})` : ''}: nothing in the file tells.
        {editor ? '' : ' An analyst can confirm the order.'}
      </p>
      {editor ? (
        <div className="button-row">
          <button
            type="button"
            className="button button--small"
            disabled={busy}
            onClick={() => read(dayFirst ? 'mdy' : 'dmy')}
          >
            {dayFirst ? 'Read month first' : 'Read day first'}
          </button>
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={busy}
            onClick={() => read(dayFirst ? 'dmy' : 'mdy')}
          >
            {dayFirst ? 'Keep day first' : 'Keep month first'}
          </button>
          {busy ? (
            <span className="small muted" role="status">
              Starting a new version…
            </span>
          ) : null}
        </div>
      ) : null}
      {reprocess.isError ? (
        <ProblemAlert error={reprocess.error} context="Could not reprocess the dataset" />
      ) : null}
    </div>
  );
}

/**
 * Asks to confirm the day/month order of date columns whose order nothing in the file decided
 * (every day ≤ 12, slashes): either answer reprocesses the stored file with that column's hint,
 * and the new version's order comes "from a hint", so the question is not asked again.
 */
export function DateOrderPrompt({ dataset, schema, editor }: DateOrderPromptProps) {
  // While a version processes, the page shows an older schema: its answer may be on the way.
  // Once the latest is ready the page still shows the previous schema for a moment.
  const current = schema.version === dataset.version || dataset.status === 'failed';
  if (!isFinal(dataset) || !current) return null;
  const assumed = schema.columns.filter(
    (c) => c.date_order_source === 'assumed' && c.date_order !== undefined,
  );
  if (assumed.length === 0) return null;
  return (
    <section className="banner banner--warning" aria-label="Date order to confirm">
      {assumed.map((column) => (
        <AssumedOrder
          key={column.name}
          dataset={dataset}
          schema={schema}
          column={column}
          editor={editor}
        />
      ))}
    </section>
  );
}
