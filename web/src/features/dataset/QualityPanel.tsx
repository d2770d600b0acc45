import { downloadDatasetErrorsCsv } from '../../api/datasets';
import type { Summary } from '../../api/types';
import { DownloadButton } from '../../components/DownloadButton';
import { EmptyState } from '../../components/EmptyState';
import { Loading } from '../../components/Loading';
import { Panel } from '../../components/Panel';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatInteger, formatPercent } from '../../lib/format';
import { useDataErrors } from './useInsights';

type QualityPanelProps = { datasetId: string; version: number; summary: Summary };

/** Empty and invalid values per column, and the rejected rows with their line numbers. */
export function QualityPanel({ datasetId, version, summary }: QualityPanelProps) {
  const errors = useDataErrors(datasetId, version);
  const rejected = summary.rows_rejected ?? 0;
  const invalid = summary.invalid_values ?? 0;
  const total = summary.rows + rejected;
  return (
    <Panel id="quality" title="Data quality" testId="quality-panel">
      <div className="quality-stats">
        <div className="stat">
          <span className="stat__value">{formatInteger(summary.rows)}</span>
          <span className="stat__label">rows kept</span>
        </div>
        <div className="stat" data-testid="rows-rejected" data-value={rejected}>
          <span className={`stat__value${rejected > 0 ? ' text-warning' : ''}`}>
            {formatInteger(rejected)}
          </span>
          <span className="stat__label">
            rows rejected
            {total > 0 && rejected > 0
              ? ` (${formatPercent(rejected / total, { signed: false, digits: 2 })})`
              : ''}
          </span>
        </div>
        <div className="stat">
          <span className={`stat__value${invalid > 0 ? ' text-warning' : ''}`}>
            {formatInteger(invalid)}
          </span>
          <span className="stat__label">invalid values (kept as empty)</span>
        </div>
      </div>

      <h3 className="subheading">Empty values per column</h3>
      <div className="table-scroll">
        <table className="table table--compact" data-testid="nulls-table">
          <caption className="visually-hidden">Empty and invalid values per column</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col" className="num">
                Empty
              </th>
              <th scope="col" className="num">
                Invalid
              </th>
              <th scope="col" className="bar-cell">
                Share empty
              </th>
            </tr>
          </thead>
          <tbody>
            {summary.columns.map((c) => {
              const share = summary.rows > 0 ? c.nulls / summary.rows : 0;
              return (
                <tr key={c.name}>
                  <th scope="row">
                    <code>{c.name}</code>
                  </th>
                  <td className="num">{formatInteger(c.nulls)}</td>
                  <td className="num">{formatInteger(c.invalid ?? 0)}</td>
                  <td className="bar-cell">
                    <span className="meter" aria-hidden="true">
                      <span
                        className="meter__fill"
                        style={{ width: `${Math.min(share * 100, 100)}%` }}
                      />
                    </span>
                    <span className="small">{formatPercent(share, { signed: false })}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <div className="subheading-row">
        <h3 className="subheading">Rejected rows and invalid values</h3>
        {rejected + invalid > 0 ? (
          <DownloadButton
            label="Download CSV"
            fallbackName={`${datasetId}-v${version}-errors.csv`}
            fetchFile={() => downloadDatasetErrorsCsv(datasetId)}
            testId="download-errors"
          />
        ) : null}
      </div>
      {errors.isPending ? <Loading label="Loading rejected rows…" /> : null}
      {errors.isError ? (
        <ProblemAlert
          error={errors.error}
          context="Could not load the rejected rows"
          onRetry={() => void errors.refetch()}
        />
      ) : null}
      {errors.data?.items.length === 0 ? (
        <EmptyState title="Every row was read cleanly">
          <p>No row was rejected and no value was invalid.</p>
        </EmptyState>
      ) : null}
      {errors.data && errors.data.items.length > 0 ? (
        <div className="table-scroll">
          <table className="table table--compact" data-testid="errors-table">
            <caption className="visually-hidden">Rejected rows and invalid values</caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  Line
                </th>
                <th scope="col">Column</th>
                <th scope="col">Reason</th>
                <th scope="col">Raw</th>
              </tr>
            </thead>
            <tbody>
              {errors.data.items.map((item, index) => (
                <tr key={`${item.line}:${item.column ?? ''}:${index}`}>
                  <td className="num">{item.line}</td>
                  <td>{item.column ? <code>{item.column}</code> : '—'}</td>
                  <td>{item.reason}</td>
                  <td>
                    <code className="raw">{item.raw}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {errors.data.next_cursor ? (
            <p className="small muted">
              Showing the first {errors.data.items.length}; download the CSV for all of them.
            </p>
          ) : null}
        </div>
      ) : null}
    </Panel>
  );
}
