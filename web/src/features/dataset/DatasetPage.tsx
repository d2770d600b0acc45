import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { isApiError } from '../../api/errors';
import type { Dataset, Schema } from '../../api/types';
import { EmptyState } from '../../components/EmptyState';
import { Loading, Skeleton } from '../../components/Loading';
import { Panel } from '../../components/Panel';
import { ProblemAlert } from '../../components/ProblemAlert';
import { SectionLink } from '../../components/SectionLink';
import { StatusBadge } from '../../components/StatusBadge';
import { formatBytes, formatDateTime, formatInteger } from '../../lib/format';
import { canChangeData } from '../auth/roles';
import { useSession } from '../auth/useAuth';
import { DatasetProgress } from '../datasets/DatasetProgress';
import { DeleteDatasetDialog } from '../datasets/DeleteDatasetDialog';
import { useDataset, useRefetchWhenSnapshotReady } from '../datasets/useDatasets';
import { isFinal } from '../datasets/useDatasetEvents';
import { DrillBreadcrumb } from '../explore/DrillBreadcrumb';
import { ExplorePanel } from '../explore/ExplorePanel';
import { FilterBar } from '../explore/FilterBar';
import type { PanelFilters } from '../explore/filteredInsights';
import { drilledInto, effectiveFilters, filterErrors, type Filter } from '../explore/filters';
import { exploreQuery } from '../explore/queries';
import { useExploreSettings, useFilterState } from '../explore/useViewState';
import { ViewTabs } from '../explore/ViewTabs';
import { BreakdownPanel } from './BreakdownPanel';
import { ColumnSettingsDialog } from './ColumnSettingsDialog';
import { DateOrderPrompt } from './DateOrderPrompt';
import { FilteredKpis } from './FilteredKpis';
import { GroupsPanel } from './GroupsPanel';
import { KpiCards } from './KpiCards';
import { NewVersionDialog } from './NewVersionDialog';
import { FailedVersionReport, QualityPanel } from './QualityPanel';
import { SchemaPanel } from './SchemaPanel';
import { TrendPanel } from './TrendPanel';
import { useDatasetQuery, useFilteredTotals, useLatestSchema, useSummary } from './useInsights';

export type DatasetView = 'overview' | 'explore';

type InsightsProps = {
  dataset: Dataset;
  schema: Schema;
  summary: ReturnType<typeof useSummary>;
  editor: boolean;
  onEditSettings: () => void;
  /** The view's filters; with any, every panel asks POST /query. */
  view: PanelFilters;
  onDrill: (filter: Filter) => void;
};

function Insights({
  dataset,
  schema,
  summary,
  editor,
  onEditSettings,
  view,
  onDrill,
}: InsightsProps) {
  const version = schema.version;
  const filtered = view.filters.length > 0;
  return (
    <>
      <nav className="section-nav" aria-label="Sections">
        <SectionLink to="overview">Overview</SectionLink>
        <SectionLink to="trend">Trend</SectionLink>
        <SectionLink to="groups">Groups</SectionLink>
        <SectionLink to="breakdown">Breakdown</SectionLink>
        <SectionLink to="columns">Columns</SectionLink>
        <SectionLink to="quality">Data quality</SectionLink>
      </nav>
      <section id="overview" aria-label="Key figures">
        {filtered ? (
          <FilteredKpis
            datasetId={dataset.id}
            version={version}
            schema={schema}
            summary={summary.data}
            view={view}
          />
        ) : (
          <>
            {summary.isPending ? <Skeleton height={112} label="Loading key figures…" /> : null}
            {summary.isError ? (
              <ProblemAlert
                error={summary.error}
                context="Could not load the key figures"
                onRetry={() => void summary.refetch()}
              />
            ) : null}
            {summary.data ? <KpiCards summary={summary.data} /> : null}
          </>
        )}
      </section>
      <TrendPanel datasetId={dataset.id} version={version} schema={schema} view={view} />
      <div className="grid-2">
        <GroupsPanel
          datasetId={dataset.id}
          version={version}
          schema={schema}
          view={view}
          onDrill={onDrill}
        />
        <BreakdownPanel
          datasetId={dataset.id}
          version={version}
          schema={schema}
          view={view}
          onDrill={onDrill}
        />
      </div>
      <SchemaPanel
        datasetId={dataset.id}
        version={version}
        schema={schema}
        summary={summary.data}
        onEditSettings={editor ? onEditSettings : undefined}
      />
      {summary.data ? (
        <QualityPanel dataset={dataset} version={version} summary={summary.data} schema={schema} />
      ) : null}
    </>
  );
}

type DatasetViewsProps = {
  dataset: Dataset;
  schema: Schema;
  editor: boolean;
  onEditSettings: () => void;
  tab: DatasetView;
};

/**
 * The filter bar and drill-down path over both views of a version: the overview's panels and
 * Explore. Filters, drill-down and each view's choices live in the URL.
 */
function DatasetViews({ dataset, schema, editor, onEditSettings, tab }: DatasetViewsProps) {
  const version = schema.version;
  const summary = useSummary(dataset.id, version);
  const [state, setState] = useFilterState();
  const effective = useMemo(() => effectiveFilters(state, schema), [state, schema]);
  const view = useMemo(
    () => ({ filters: effective.filters, range: state.range, schema }),
    [effective.filters, state.range, schema],
  );
  const [settings, setSettings] = useExploreSettings(schema);
  const exploreBody = useMemo(
    () => (tab === 'explore' ? exploreQuery(settings, effective.filters) : null),
    [tab, settings, effective.filters],
  );
  // The answers whose field errors name filters: the key figures' (overview) or Explore's.
  const totals = useFilteredTotals(
    dataset.id,
    version,
    schema,
    tab === 'overview' ? effective.filters : [],
  );
  const explored = useDatasetQuery(dataset.id, version, exploreBody);
  const problem = tab === 'explore' ? explored.error : totals.error;
  const errors = filterErrors(isApiError(problem) ? problem.fieldErrors : [], effective.sources);
  const onDrill = (filter: Filter) => setState(drilledInto(state, filter));

  return (
    // Keyed by version: panels start afresh when a version lands.
    <div className="insights" key={`${dataset.id}:${version}`} data-version={version}>
      <ViewTabs datasetId={dataset.id} />
      <FilterBar
        schema={schema}
        summary={summary.data}
        state={state}
        onChange={setState}
        errors={errors}
      />
      <DrillBreadcrumb state={state} onChange={setState} errors={errors.drill} />
      {tab === 'overview' ? (
        <Insights
          dataset={dataset}
          schema={schema}
          summary={summary}
          editor={editor}
          onEditSettings={onEditSettings}
          view={view}
          onDrill={onDrill}
        />
      ) : (
        <ExplorePanel
          datasetId={dataset.id}
          version={version}
          schema={schema}
          settings={settings}
          onChange={setSettings}
          filters={effective.filters}
          // The dataset carries its latest version's snapshot; an older version's is not known.
          snapshot={dataset.version === version ? dataset.snapshot : undefined}
        />
      )}
    </div>
  );
}

type DatasetPageProps = { view?: DatasetView };

export default function DatasetPage({ view = 'overview' }: DatasetPageProps) {
  const { id = '' } = useParams();
  const { user } = useSession();
  const editor = canChangeData(user.role);
  const navigate = useNavigate();
  const datasetQuery = useDataset(id);
  useDocumentTitle(datasetQuery.data?.name ?? 'Dataset');
  const dataset = datasetQuery.data;
  const schemaQuery = useLatestSchema(dataset);
  useRefetchWhenSnapshotReady(dataset);
  const [dialog, setDialog] = useState<'version' | 'settings' | null>(null);
  const [deleting, setDeleting] = useState(false);

  if (datasetQuery.isPending) return <Loading label="Loading the dataset…" page />;
  if (datasetQuery.isError || !dataset) {
    return (
      <div className="page">
        <p className="breadcrumb">
          <Link to="/datasets">← Datasets</Link>
        </p>
        <ProblemAlert
          error={datasetQuery.error}
          context="Could not load this dataset"
          onRetry={() => void datasetQuery.refetch()}
        />
      </div>
    );
  }

  const schema = schemaQuery.data;
  const schemaError = schemaQuery.isError ? schemaQuery.error : null;
  const notReady = schemaError !== null && 'status' in schemaError && schemaError.status === 409;
  const showingOlder = schema !== undefined && schema.version !== dataset.version;

  return (
    <div className="page page--wide">
      <p className="breadcrumb">
        <Link to="/datasets">← Datasets</Link>
      </p>
      <header className="page__header">
        <div className="page__heading">
          <h1 className="page__title" data-testid="dataset-name">
            {dataset.name}
          </h1>
          <p className="page__subtitle dataset-facts">
            <StatusBadge status={dataset.status} />
            <span>Version {schema?.version ?? dataset.version}</span>
            {dataset.rows !== null ? <span>{formatInteger(dataset.rows)} rows</span> : null}
            {dataset.reprocessed_from && schema?.version === dataset.version ? (
              <span>re-read from version {dataset.reprocessed_from}</span>
            ) : null}
            <span>
              {dataset.format.toUpperCase()} · {formatBytes(dataset.size_bytes)}
            </span>
            {dataset.ready_at ? <span>processed {formatDateTime(dataset.ready_at)}</span> : null}
          </p>
        </div>
        {editor ? (
          <div className="page__actions">
            <button
              type="button"
              className="button button--secondary"
              onClick={() => setDialog('version')}
            >
              Upload new version
            </button>
            <button
              type="button"
              className="button button--danger-outline"
              onClick={() => setDeleting(true)}
            >
              Delete
            </button>
          </div>
        ) : null}
      </header>

      {!isFinal(dataset) || dataset.status === 'failed' ? (
        <div
          className={`banner${dataset.status === 'failed' ? ' banner--error' : ''}`}
          data-testid="version-banner"
        >
          <p className="banner__title">
            {dataset.status === 'failed'
              ? `Version ${dataset.version} could not be processed`
              : `Processing version ${dataset.version}…`}
            {dataset.reprocessed_from && dataset.status !== 'failed'
              ? ` Reading the file of version ${dataset.reprocessed_from} again with the new settings.`
              : ''}
            {showingOlder ? ` Showing version ${schema.version} meanwhile.` : ''}
          </p>
          <DatasetProgress dataset={dataset} />
          {dataset.status === 'failed' ? (
            <p className="small">
              <SectionLink to="quality">See the lines that broke it</SectionLink>
            </p>
          ) : null}
        </div>
      ) : null}

      {schema ? <DateOrderPrompt dataset={dataset} schema={schema} editor={editor} /> : null}

      {schemaQuery.isPending ? <Skeleton height={320} label="Loading the insights…" /> : null}
      {schemaError && !notReady ? (
        <ProblemAlert
          error={schemaError}
          context="Could not load the insights"
          onRetry={() => void schemaQuery.refetch()}
        />
      ) : null}
      {notReady && dataset.status !== 'failed' ? (
        <EmptyState title="The insights appear here once processing is done">
          <p>This page updates by itself.</p>
        </EmptyState>
      ) : null}
      {notReady && dataset.status === 'failed' && editor ? (
        <EmptyState title="No version of this dataset could be processed">
          <p>Fix the file and upload it again as a new version.</p>
        </EmptyState>
      ) : null}
      {notReady && dataset.status === 'failed' ? (
        <Panel id="quality" title="Data quality" testId="quality-panel">
          <FailedVersionReport dataset={dataset} />
        </Panel>
      ) : null}
      {schema ? (
        <DatasetViews
          dataset={dataset}
          schema={schema}
          editor={editor}
          onEditSettings={() => setDialog('settings')}
          tab={view}
        />
      ) : null}

      {editor ? (
        <>
          <NewVersionDialog
            dataset={dataset}
            schema={schema}
            open={dialog === 'version'}
            onClose={() => setDialog(null)}
          />
          {schema ? (
            <ColumnSettingsDialog
              dataset={dataset}
              schema={schema}
              open={dialog === 'settings'}
              onClose={() => setDialog(null)}
            />
          ) : null}
          <DeleteDatasetDialog
            dataset={deleting ? dataset : null}
            onClose={() => setDeleting(false)}
            onDeleted={() => void navigate('/datasets', { replace: true })}
          />
        </>
      ) : null}
    </div>
  );
}
