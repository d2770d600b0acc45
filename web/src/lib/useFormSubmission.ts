import { useState } from 'react';
import { toApiError, type ApiError } from '../api/errors';
import type { FieldErrors } from '../features/auth/validation';

/**
 * A form's submission: local checks first (nothing is sent while a field has a message), then
 * the request; a problem from the API becomes the form's alert and its field errors become the
 * fields' messages.
 */
export function useFormSubmission() {
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (local: FieldErrors, send: () => Promise<void>) => {
    setFieldErrors(local);
    setError(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      await send();
    } catch (caught) {
      const problem = toApiError(caught);
      setError(problem);
      setFieldErrors(Object.fromEntries(problem.fieldErrors.map((e) => [e.field, e.message])));
    } finally {
      setBusy(false);
    }
  };

  return { fieldErrors, error, busy, run };
}
