import type { ReactNode } from 'react';
import { toApiError } from '../api/errors';
import { isSnapshotFailed } from '../api/snapshot';

type ProblemAlertProps = {
  error: unknown;
  /** Shown above the problem's own title, e.g. "Could not load the datasets". */
  context?: string;
  onRetry?: () => void;
  children?: ReactNode;
  /** Field errors are shown next to their fields by forms; list them here otherwise. */
  showFieldErrors?: boolean;
};

/**
 * An API error for people: the problem's title and detail, and its request id for support. A
 * snapshot that could not be written (snapshot-failed) gets no "Try again": it would fail again.
 */
export function ProblemAlert({
  error,
  context,
  onRetry,
  children,
  showFieldErrors = false,
}: ProblemAlertProps) {
  const problem = toApiError(error);
  const retry = isSnapshotFailed(problem) ? undefined : onRetry;
  return (
    <div className="alert alert--error" role="alert" data-testid="problem">
      <div className="alert__body">
        {context ? <p className="alert__context">{context}</p> : null}
        <p className="alert__title">{problem.title}</p>
        {problem.detail ? <p className="alert__detail">{problem.detail}</p> : null}
        {showFieldErrors && problem.fieldErrors.length > 0 ? (
          <ul className="alert__fields">
            {problem.fieldErrors.map((e) => (
              <li key={`${e.field}:${e.message}`}>
                {e.field ? <code>{e.field}</code> : null} {e.message}
              </li>
            ))}
          </ul>
        ) : null}
        {problem.requestId ? (
          <p className="alert__meta">
            Request ID: <code data-testid="request-id">{problem.requestId}</code>
          </p>
        ) : null}
        {children}
      </div>
      {retry ? (
        <button type="button" className="button button--secondary button--small" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
