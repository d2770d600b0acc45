import type { ColumnType } from '../api/types';

/** Only the hints that differ from automatic detection, as the API's ?types= object. */
export function typeHints(value: Partial<Record<string, ColumnType>>): Record<string, ColumnType> {
  const hints: Record<string, ColumnType> = {};
  for (const [name, type] of Object.entries(value)) if (type) hints[name] = type;
  return hints;
}
