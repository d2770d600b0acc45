type ProgressBarProps = {
  /** 0..100; undefined shows an indeterminate bar. */
  value: number | undefined;
  label: string;
  testId?: string;
  tone?: 'accent' | 'success' | 'danger';
};

export function ProgressBar({ value, label, testId, tone = 'accent' }: ProgressBarProps) {
  const clamped = value === undefined ? undefined : Math.max(0, Math.min(100, value));
  return (
    <div
      className={`progress progress--${tone}${clamped === undefined ? ' progress--indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped === undefined ? undefined : Math.round(clamped)}
      data-testid={testId}
      data-value={clamped === undefined ? undefined : Math.round(clamped)}
    >
      <div
        className="progress__bar"
        style={{ width: clamped === undefined ? undefined : `${clamped}%` }}
      />
    </div>
  );
}
