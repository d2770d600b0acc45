// The column settings dialog's choices → the body of POST /datasets/{id}/reprocess, with only
// what changed: date order and decimal mark travel inside the type hint ("date:dmy").

import type {
  ColumnRole,
  ColumnType,
  DateOrderHint,
  DecimalMarkHint,
  ReprocessInput,
  SchemaColumn,
  TypeHint,
} from '../../api/types';

/** One column's choices; '' keeps what the version has (the detected or remembered setting). */
export type ColumnChoice = {
  type: ColumnType;
  role: ColumnRole;
  order: DateOrderHint | '';
  mark: DecimalMarkHint | '';
};

export function isTemporal(type: string): type is 'date' | 'timestamp' {
  return type === 'date' || type === 'timestamp';
}

export function isNumber(type: string): type is 'integer' | 'decimal' | 'float' {
  return type === 'integer' || type === 'decimal' || type === 'float';
}

/** The choices that keep a column as it is. */
export function initialChoice(column: SchemaColumn): ColumnChoice {
  return { type: column.type, role: column.role, order: '', mark: '' };
}

/** The column's current day/month order as a hint, when its dates are numeric. */
export function currentOrder(column: SchemaColumn): DateOrderHint | undefined {
  if (column.date_order === 'DMY') return 'dmy';
  if (column.date_order === 'MDY') return 'mdy';
  return undefined;
}

/** The column's current decimal mark (point unless the schema says comma). */
export function currentMark(column: SchemaColumn): DecimalMarkHint | undefined {
  if (!isNumber(column.type)) return undefined;
  return column.decimal_mark === 'comma' ? 'comma' : 'point';
}

/**
 * The type hint for a column's choice, or undefined when the column reads the same way as now.
 * A day/month order the data or the separator already decided is no change, but confirming an
 * assumed order is (it becomes a hint, and the dashboard stops asking).
 */
export function typeHintFor(column: SchemaColumn, choice: ColumnChoice): TypeHint | undefined {
  const typeChanged = choice.type !== column.type;
  const order = isTemporal(choice.type) ? choice.order : '';
  const mark = isNumber(choice.type) ? choice.mark : '';
  const orderChanged =
    order !== '' &&
    (typeChanged ||
      order !== currentOrder(column) ||
      column.date_order_source === undefined ||
      column.date_order_source === 'assumed');
  const markChanged = mark !== '' && (typeChanged || mark !== currentMark(column));
  if (!typeChanged && !orderChanged && !markChanged) return undefined;
  if (order !== '') return `${choice.type as 'date' | 'timestamp'}:${order}`;
  if (mark !== '') return `${choice.type as 'integer' | 'decimal' | 'float'}:${mark}`;
  return choice.type;
}

/** The reprocess body with only the changed settings ({} when nothing changed). */
export function reprocessBody(
  columns: SchemaColumn[],
  choices: Partial<Record<string, ColumnChoice>>,
): ReprocessInput {
  const types: Record<string, TypeHint> = {};
  const roles: Record<string, ColumnRole> = {};
  for (const column of columns) {
    const choice = choices[column.name];
    if (!choice) continue;
    const hint = typeHintFor(column, choice);
    if (hint !== undefined) types[column.name] = hint;
    if (choice.role !== column.role) roles[column.name] = choice.role;
  }
  const body: ReprocessInput = {};
  if (Object.keys(types).length > 0) body.types = types;
  if (Object.keys(roles).length > 0) body.roles = roles;
  return body;
}

/** How many settings a body changes (a column's type hint and its role count apart). */
export function changeCount(body: ReprocessInput): number {
  return Object.keys(body.types ?? {}).length + Object.keys(body.roles ?? {}).length;
}
