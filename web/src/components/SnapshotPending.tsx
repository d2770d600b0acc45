type SnapshotPendingProps = {
  /** What is being prepared, e.g. "the filtered view", "the query". */
  what?: string;
  height?: number;
};

/**
 * The version is ready but its snapshot (which filtered views, Explore and exports read) is still
 * being written: a calm waiting state, not an error. The query asks again by itself.
 */
export function SnapshotPending({ what = 'the filtered view', height }: SnapshotPendingProps) {
  return (
    <div
      className="loading"
      style={height ? { minHeight: height } : undefined}
      role="status"
      aria-live="polite"
      data-testid="snapshot-pending"
    >
      <span className="spinner" aria-hidden="true" />
      <span>Preparing {what}… (the snapshot is being written)</span>
    </div>
  );
}
