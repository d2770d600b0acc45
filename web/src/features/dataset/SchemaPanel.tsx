import { downloadInsightCsv } from '../../api/insights';
import type { ColumnSummary, Schema, SchemaColumn, Summary } from '../../api/types';
import { DownloadButton } from '../../components/DownloadButton';
import { Panel } from '../../components/Panel';
import { formatInteger, formatNumber } from '../../lib/format';
import { Count, WithheldSum } from './Approximate';
import { dateOrderLabel, dateOrderSourceLabel } from './labels';

type SchemaPanelProps = {
  datasetId: string;
  version: number;
  schema: Schema;
  summary: Summary | undefined;
  /** Shown to analysts and up: opens the column settings dialog. */
  onEditSettings?: (() => void) | undefined;
};

const ROLE_HINTS: Record<string, string> = {
  time: 'Dates for trends',
  measure: 'Numbers to add up',
  dimension: 'Categories to group by',
  identifier: 'Unique per row',
};

function numericStat(value: string | number | null, type: string): string {
  if (value === null) return '—';
  if (type === 'integer' || type === 'decimal' || type === 'float') return formatNumber(value);
  return String(value);
}

/** How a column was read, beyond its type: day/month order and its source, a decimal comma. */
function ReadAs({ column }: { column: SchemaColumn }) {
  const parts: string[] = [];
  if (column.date_order) {
    parts.push(
      column.date_order_source
        ? `${dateOrderLabel(column.date_order)} · ${dateOrderSourceLabel(column.date_order_source)}`
        : dateOrderLabel(column.date_order),
    );
  }
  if (column.decimal_mark === 'comma') parts.push('decimal comma');
  if (parts.length === 0) return null;
  return (
    <span
      className={`read-as small${column.date_order_source === 'assumed' ? ' text-warning' : ''}`}
      data-testid="read-as"
    >
      {parts.join(' · ')}
    </span>
  );
}

/** The sum of a measure, or why it is withheld (never a number then). */
function SumCell({ column, stats }: { column: SchemaColumn; stats: ColumnSummary | undefined }) {
  const reason = stats?.sum_withheld ?? column.sum_withheld;
  if (reason) return <WithheldSum reason={reason} currencies={stats?.currencies} />;
  if (stats?.sum == null) return <>—</>;
  return <>{formatNumber(stats.sum)}</>;
}

/** What was rounded, widened or cut while reading the column. */
function columnNotes(stats: ColumnSummary | undefined): string[] {
  if (!stats) return [];
  const notes: string[] = [];
  if (stats.rounded)
    notes.push(`${formatInteger(stats.rounded)} rounded to 9 decimals (half to even)`);
  if (stats.widened) notes.push(`${formatInteger(stats.widened)} widened the integer type`);
  if (stats.text_truncated) notes.push('min/max text cut');
  return notes;
}

/** The columns with their types, roles and statistics. */
export function SchemaPanel({
  datasetId,
  version,
  schema,
  summary,
  onEditSettings,
}: SchemaPanelProps) {
  const stats = new Map(summary?.columns.map((c) => [c.name, c]) ?? []);
  return (
    <Panel
      id="columns"
      title="Columns"
      description={`${schema.columns.length} columns · detected types and roles of version ${version}`}
      testId="schema-panel"
      actions={
        <>
          {onEditSettings ? (
            <button
              type="button"
              className="button button--secondary button--small"
              onClick={onEditSettings}
            >
              Column settings…
            </button>
          ) : null}
          <DownloadButton
            label="CSV"
            fallbackName={`${datasetId}-schema.csv`}
            fetchFile={() => downloadInsightCsv(datasetId, 'summary', { version })}
          />
        </>
      }
    >
      <div className="table-scroll">
        <table className="table" data-testid="schema-table">
          <caption className="visually-hidden">Columns of the dataset</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
              <th scope="col">Role</th>
              <th scope="col" className="num">
                Distinct
              </th>
              <th scope="col" className="num">
                Empty
              </th>
              <th scope="col" className="num">
                Min
              </th>
              <th scope="col" className="num">
                Max
              </th>
              <th scope="col" className="num">
                Mean
              </th>
              <th scope="col" className="num">
                Sum
              </th>
              <th scope="col">Most common</th>
            </tr>
          </thead>
          <tbody>
            {schema.columns.map((column) => {
              const s = stats.get(column.name);
              const notes = columnNotes(s);
              return (
                <tr key={column.name} data-column={column.name}>
                  <th scope="row">
                    <code>{column.name}</code>
                    {notes.length > 0 ? (
                      <span className="column-notes small muted">{notes.join(' · ')}</span>
                    ) : null}
                  </th>
                  <td className="nowrap">
                    <span className={`type type--${column.type}`}>{column.type}</span>
                    {column.hinted ? <span className="muted small"> (set)</span> : null}
                    {column.currency ? (
                      <span className="muted small"> {column.currency}</span>
                    ) : null}
                    <ReadAs column={column} />
                  </td>
                  <td className="nowrap">
                    <span className={`role role--${column.role}`} title={ROLE_HINTS[column.role]}>
                      {column.role}
                    </span>
                    {column.name === schema.primary_time || column.name === schema.main_measure ? (
                      <span className="muted small"> · main</span>
                    ) : null}
                  </td>
                  <td className="num" data-testid="distinct">
                    {s ? <Count value={s.distinct} exact={s.distinct_exact !== false} /> : '—'}
                  </td>
                  <td className="num">{s ? formatInteger(s.nulls) : '—'}</td>
                  <td className="num">{s ? numericStat(s.min, column.type) : '—'}</td>
                  <td className="num">{s ? numericStat(s.max, column.type) : '—'}</td>
                  <td className="num">
                    {s?.mean !== undefined && s.mean !== null ? formatNumber(s.mean) : '—'}
                  </td>
                  <td className="num sum-cell">
                    {column.role === 'measure' || s?.sum_withheld ? (
                      <SumCell column={column} stats={s} />
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className="top-values">
                    {s && s.top.length > 0
                      ? s.top
                          .slice(0, 3)
                          .map((t) => `${t.value ?? '(empty)'} (${formatInteger(t.count)})`)
                          .join(', ')
                      : '—'}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}
