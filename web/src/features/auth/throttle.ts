import { ApiError } from '../../api/errors';

/**
 * A 429 login-throttled (a login, or a password change with a wrong current password) worded
 * for people, with the wait from Retry-After; null for any other problem.
 */
export function throttledProblem(error: ApiError): ApiError | null {
  if (error.code !== 'login-throttled') return null;
  const wait = error.retryAfter;
  return new ApiError({
    status: error.status,
    type: error.type,
    requestId: error.requestId,
    instance: error.instance,
    retryAfter: wait,
    title:
      wait === undefined
        ? 'Too many failed attempts — try again later'
        : `Too many failed attempts — try again in ${wait} s`,
  });
}
