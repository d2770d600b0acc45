import { downloadInsightCsv } from '../../api/insights';
import type { Schema, Summary } from '../../api/types';
import { DownloadButton } from '../../components/DownloadButton';
import { Panel } from '../../components/Panel';
import { formatInteger, formatNumber } from '../../lib/format';

type SchemaPanelProps = {
  datasetId: string;
  version: number;
  schema: Schema;
  summary: Summary | undefined;
  /** Shown to analysts and up: opens the "change types" dialog. */
  onChangeTypes?: () => void;
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

/** The columns with their types, roles and statistics. */
export function SchemaPanel({
  datasetId,
  version,
  schema,
  summary,
  onChangeTypes,
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
          {onChangeTypes ? (
            <button
              type="button"
              className="button button--secondary button--small"
              onClick={onChangeTypes}
            >
              Change column types…
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
              <th scope="col">Most common</th>
            </tr>
          </thead>
          <tbody>
            {schema.columns.map((column) => {
              const s = stats.get(column.name);
              return (
                <tr key={column.name} data-column={column.name}>
                  <th scope="row">
                    <code>{column.name}</code>
                  </th>
                  <td className="nowrap">
                    <span className={`type type--${column.type}`}>{column.type}</span>
                    {column.hinted ? <span className="muted small"> (set)</span> : null}
                    {column.currency ? (
                      <span className="muted small"> {column.currency}</span>
                    ) : null}
                  </td>
                  <td className="nowrap">
                    <span className={`role role--${column.role}`} title={ROLE_HINTS[column.role]}>
                      {column.role}
                    </span>
                    {column.name === schema.primary_time || column.name === schema.main_measure ? (
                      <span className="muted small"> · main</span>
                    ) : null}
                  </td>
                  <td className="num">{s ? formatInteger(s.distinct) : '—'}</td>
                  <td className="num">{s ? formatInteger(s.nulls) : '—'}</td>
                  <td className="num">{s ? numericStat(s.min, column.type) : '—'}</td>
                  <td className="num">{s ? numericStat(s.max, column.type) : '—'}</td>
                  <td className="num">
                    {s?.mean !== undefined && s.mean !== null ? formatNumber(s.mean) : '—'}
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
