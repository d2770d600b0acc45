import { useId } from 'react';
import { downloadDatasetErrorsCsv } from '../../api/datasets';
import type { Dataset, ErrorsPage, Schema, Summary } from '../../api/types';
import { DownloadButton } from '../../components/DownloadButton';
import { EmptyState } from '../../components/EmptyState';
import { Loading } from '../../components/Loading';
import { Panel } from '../../components/Panel';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatInteger, formatPercent } from '../../lib/format';
import { encodingLabel, issueKindLabel } from './labels';
import { useDataErrors } from './useInsights';

type IssuesTableProps = { page: ErrorsPage; caption: string; testId: string };

/** Bad rows, invalid values and notes with their line numbers and what the line held. */
function IssuesTable({ page, caption, testId }: IssuesTableProps) {
  return (
    <div className="table-scroll">
      <table className="table table--compact" data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              Line
            </th>
            <th scope="col">Kind</th>
            <th scope="col">Column</th>
            <th scope="col">Reason</th>
            <th scope="col">Raw</th>
          </tr>
        </thead>
        <tbody>
          {page.items.map((item, index) => (
            <tr key={`${item.line}:${item.column ?? ''}:${index}`} data-kind={item.kind}>
              <td className="num">{item.line}</td>
              <td className="nowrap">
                {item.kind ? (
                  <span className={`issue issue--${item.kind}`}>{issueKindLabel(item.kind)}</span>
                ) : (
                  '—'
                )}
              </td>
              <td>{item.column ? <code>{item.column}</code> : '—'}</td>
              <td>{item.reason}</td>
              <td>
                <code className="raw">{item.raw}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.next_cursor ? (
        <p className="small muted">
          Showing the first {page.items.length}; download the CSV for all of them.
        </p>
      ) : null}
    </div>
  );
}

type FailedVersionReportProps = { dataset: Dataset };

/** Why the latest version failed: its error and the lines that broke it (/errors?version=N). */
export function FailedVersionReport({ dataset }: FailedVersionReportProps) {
  const version = dataset.version;
  const errors = useDataErrors(dataset.id, version);
  const titleId = useId();
  return (
    <section className="failed-report" data-testid="failed-report" aria-labelledby={titleId}>
      <div className="subheading-row">
        <h3 className="subheading" id={titleId}>
          Why version {version} failed
        </h3>
        {errors.data && errors.data.items.length > 0 ? (
          <DownloadButton
            label="Download CSV"
            fallbackName={`${dataset.id}-v${version}-errors.csv`}
            fetchFile={() => downloadDatasetErrorsCsv(dataset.id, version)}
            testId="download-failed-errors"
          />
        ) : null}
      </div>
      {dataset.error ? <p className="dataset-error">{dataset.error}</p> : null}
      {errors.isPending ? <Loading label="Loading the lines that broke it…" /> : null}
      {errors.isError ? (
        <ProblemAlert
          error={errors.error}
          context={`Could not load the bad rows of version ${version}`}
          onRetry={() => void errors.refetch()}
        />
      ) : null}
      {errors.data?.items.length === 0 ? (
        <p className="small muted">No line of this version was reported.</p>
      ) : null}
      {errors.data && errors.data.items.length > 0 ? (
        <IssuesTable
          page={errors.data}
          caption={`Bad rows of version ${version}`}
          testId="failed-errors-table"
        />
      ) : null}
    </section>
  );
}

type QualityPanelProps = {
  dataset: Dataset;
  /** The version on screen. */
  version: number;
  summary: Summary;
  schema: Schema;
};

/**
 * Empty and invalid values per column, the rejected rows, invalid values and notes with their
 * line numbers, how the file was decoded, and why a newer version failed.
 */
export function QualityPanel({ dataset, version, summary, schema }: QualityPanelProps) {
  const datasetId = dataset.id;
  const errors = useDataErrors(datasetId, version);
  const rejected = summary.rows_rejected ?? 0;
  const invalid = summary.invalid_values ?? 0;
  const issues = summary.issues ?? rejected + invalid;
  const total = summary.rows + rejected;
  const encoding = schema.encoding;
  const unanalysed = schema.unanalysed_keys ?? 0;
  const newerFailed = dataset.status === 'failed' && dataset.version !== version;
  return (
    <Panel id="quality" title="Data quality" testId="quality-panel">
      {newerFailed ? <FailedVersionReport dataset={dataset} /> : null}
      {(encoding && encoding !== 'utf-8') || unanalysed > 0 ? (
        <ul className="notes" data-testid="file-notes">
          {encoding && encoding !== 'utf-8' ? (
            <li data-testid="encoding">
              The file is not UTF-8: read as <strong>{encodingLabel(encoding)}</strong>.
            </li>
          ) : null}
          {unanalysed > 0 ? (
            <li data-testid="unanalysed-keys">
              {formatInteger(unanalysed)} JSON {unanalysed === 1 ? 'key is' : 'keys are'} not
              analysed (first seen after the sample, beyond the column limit).
            </li>
          ) : null}
        </ul>
      ) : null}
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
        <h3 className="subheading">Rejected rows, invalid values and notes</h3>
        {issues > 0 ? (
          <DownloadButton
            label="Download CSV"
            fallbackName={`${datasetId}-v${version}-errors.csv`}
            fetchFile={() => downloadDatasetErrorsCsv(datasetId, version)}
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
        <IssuesTable
          page={errors.data}
          caption="Rejected rows, invalid values and notes"
          testId="errors-table"
        />
      ) : null}
    </Panel>
  );
}
