import { isApiError } from '../../api/errors';

/**
 * The API's message about one part of a query ("group_by.1", "measures.0", "filters.2"; field
 * names as ApiError keeps them, from JSON pointers), if its problem names it.
 */
export function fieldMessage(error: unknown, ...fields: string[]): string | undefined {
  if (!isApiError(error)) return undefined;
  return error.fieldErrors.find((e) =>
    fields.some((f) => e.field === f || e.field.startsWith(`${f}.`)),
  )?.message;
}

/** How many of the problem's field errors the Explore form shows next to a field. */
export function placedErrors(error: unknown): number {
  if (!isApiError(error)) return 0;
  return error.fieldErrors.filter((e) =>
    /^(group_by|time|measures|order|limit|offset|filters)(\.|$)/.test(e.field),
  ).length;
}
