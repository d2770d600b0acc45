import type { DatasetStatus } from '../api/types';

const LABELS: Record<DatasetStatus, string> = {
  queued: 'Queued',
  processing: 'Processing',
  ready: 'Ready',
  failed: 'Failed',
};

type StatusBadgeProps = { status: DatasetStatus };

export function StatusBadge({ status }: StatusBadgeProps) {
  return (
    <span className={`badge badge--${status}`} data-testid="status-badge" data-status={status}>
      <span className="badge__dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}

type RoleBadgeProps = { role: string };

export function RoleBadge({ role }: RoleBadgeProps) {
  return <span className={`badge badge--role badge--${role}`}>{role}</span>;
}
