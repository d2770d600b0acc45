type LoadingProps = {
  label?: string;
  /** Fill a page rather than a section. */
  page?: boolean;
};

export function Loading({ label = 'Loading…', page = false }: LoadingProps) {
  return (
    <div className={page ? 'loading loading--page' : 'loading'} role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

type SkeletonProps = { height?: number; label?: string };

/** A placeholder block for a chart or card while its data loads. */
export function Skeleton({ height = 240, label = 'Loading…' }: SkeletonProps) {
  return (
    <div className="skeleton" style={{ height }} role="status" aria-live="polite">
      <span className="visually-hidden">{label}</span>
    </div>
  );
}
