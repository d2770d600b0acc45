import type { ApiError } from '../../api/errors';
import { ProblemAlert } from '../../components/ProblemAlert';
import { throttledProblem } from './throttle';

type AuthProblemAlertProps = { error: ApiError };

/** The problem of a login or password form; a throttled attempt says how long to wait. */
export function AuthProblemAlert({ error }: AuthProblemAlertProps) {
  return <ProblemAlert error={throttledProblem(error) ?? error} />;
}
