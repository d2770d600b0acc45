import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { useInfiniteQuery } from '@tanstack/react-query';
import { listAudit } from '../../api/audit';
import { EmptyState } from '../../components/EmptyState';
import { Loading } from '../../components/Loading';
import { Panel } from '../../components/Panel';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatDateTime } from '../../lib/format';
import { queryKeys } from '../../lib/queryKeys';
import { useSession } from '../auth/useAuth';

function describe(details: Record<string, unknown> | undefined): string {
  if (!details) return '';
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

export default function AuditPage() {
  useDocumentTitle('Activity');
  const { orgId } = useSession();
  const audit = useInfiniteQuery({
    queryKey: queryKeys.audit(orgId, ''),
    queryFn: ({ pageParam, signal }) => listAudit({ limit: 50, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = audit.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="page">
      <header className="page__header">
        <div>
          <h1 className="page__title">Activity</h1>
          <p className="page__subtitle">
            Sign-ins, member and key changes, uploads and deletions, newest first.
          </p>
        </div>
      </header>
      <Panel title="Audit log">
        {audit.isPending ? <Loading label="Loading activity…" /> : null}
        {audit.isError ? (
          <ProblemAlert
            error={audit.error}
            context="Could not load the activity"
            onRetry={() => void audit.refetch()}
          />
        ) : null}
        {audit.isSuccess && items.length === 0 ? (
          <EmptyState title="Nothing has happened yet" />
        ) : null}
        {items.length > 0 ? (
          <div className="table-scroll">
            <table className="table table--compact">
              <caption className="visually-hidden">Audit events</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Details</th>
                  <th scope="col">From</th>
                </tr>
              </thead>
              <tbody>
                {items.map((event) => (
                  <tr key={event.id}>
                    <td className="nowrap small">{formatDateTime(event.at)}</td>
                    <td>
                      <code>{event.action}</code>
                    </td>
                    <td className="small">
                      {event.target.type} <code className="raw">{event.target.id ?? ''}</code>
                    </td>
                    <td className="small">{describe(event.details)}</td>
                    <td className="small muted">{event.ip ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {audit.hasNextPage ? (
          <div className="center">
            <button
              type="button"
              className="button button--secondary"
              onClick={() => void audit.fetchNextPage()}
              disabled={audit.isFetchingNextPage}
            >
              {audit.isFetchingNextPage ? 'Loading…' : 'Show older'}
            </button>
          </div>
        ) : null}
      </Panel>
    </div>
  );
}
