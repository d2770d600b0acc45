import { useEffect, useId, useRef, useState, type SubmitEvent } from 'react';
import type { QueryOp, Schema, SchemaColumn, Summary } from '../../api/types';
import { arity, operatorLabel, operatorsFor, type Filter } from './filters';

type AddFilterFormProps = {
  schema: Schema;
  summary: Summary | undefined;
  onAdd: (filter: Filter) => void;
  onCancel: () => void;
};

/** Columns to filter on: dimensions first (they have top values), then the rest in order. */
function filterColumns(schema: Schema): SchemaColumn[] {
  const rank = { dimension: 0, time: 1, measure: 2, identifier: 3 } as const;
  return [...schema.columns].sort((a, b) => rank[a.role] - rank[b.role]);
}

function inputType(column: SchemaColumn | undefined): 'date' | 'text' {
  return column?.type === 'date' ? 'date' : 'text';
}

function placeholder(column: SchemaColumn | undefined): string | undefined {
  switch (column?.type) {
    case 'timestamp':
      return 'YYYY-MM-DD or 2024-03-05T12:00:00Z';
    case 'integer':
    case 'decimal':
    case 'float':
      return 'a number, e.g. 1234.50';
    case 'boolean':
      return 'true or false';
    default:
      return undefined;
  }
}

/**
 * Pick a column, an operator its type allows, and the value(s): for a dimension, its most
 * frequent values (from the summary) as suggestions or check boxes.
 */
export function AddFilterForm({ schema, summary, onAdd, onCancel }: AddFilterFormProps) {
  const columns = filterColumns(schema);
  const [columnName, setColumnName] = useState(columns[0]?.name ?? '');
  const column = schema.columns.find((c) => c.name === columnName);
  const ops = column ? operatorsFor(column.type) : [];
  const [op, setOp] = useState<QueryOp>(ops[0] ?? 'eq');
  const [values, setValues] = useState<[string, string]>(['', '']);
  const [picked, setPicked] = useState<string[]>([]);
  const [more, setMore] = useState('');
  const [error, setError] = useState<string | undefined>();
  const id = useId();
  const first = useRef<HTMLSelectElement>(null);
  // The form opens from "Add filter": focus goes to its first field.
  useEffect(() => {
    first.current?.focus();
  }, []);

  const top = (summary?.columns.find((c) => c.name === columnName)?.top ?? [])
    .map((t) => t.value)
    .filter((v): v is string => v !== null);
  const kind = arity(op);
  const type = inputType(column);
  const hint = placeholder(column);

  const chooseColumn = (name: string) => {
    setColumnName(name);
    const next = schema.columns.find((c) => c.name === name);
    const allowed = next ? operatorsFor(next.type) : [];
    if (!allowed.includes(op)) setOp(allowed[0] ?? 'eq');
    setValues(['', '']);
    setPicked([]);
    setMore('');
    setError(undefined);
  };

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    let chosen: string[] = [];
    if (kind === 'one') chosen = [values[0]];
    if (kind === 'two') chosen = [values[0], values[1]];
    if (kind === 'many')
      chosen = [
        ...picked,
        ...more
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== ''),
      ];
    const problem =
      kind === 'one' && chosen[0] === ''
        ? 'Enter a value'
        : kind === 'two' && chosen.some((v) => v === '')
          ? 'Enter both ends'
          : kind === 'many' && chosen.length === 0
            ? 'Choose or enter at least one value'
            : undefined;
    if (problem) {
      setError(problem);
      return;
    }
    onAdd({ column: columnName, op, values: chosen });
  };

  const errorId = `${id}-error`;
  const invalid = error ? { 'aria-invalid': true, 'aria-describedby': errorId } : {};

  return (
    <form className="add-filter" aria-label="Add a filter" onSubmit={submit} noValidate>
      <div className="add-filter__fields">
        <div className="control">
          <label htmlFor={`${id}-column`}>Column</label>
          <select
            ref={first}
            id={`${id}-column`}
            className="select select--small"
            value={columnName}
            onChange={(e) => chooseColumn(e.target.value)}
            data-testid="filter-column"
          >
            {columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div className="control">
          <label htmlFor={`${id}-op`}>Condition</label>
          <select
            id={`${id}-op`}
            className="select select--small"
            value={op}
            onChange={(e) => {
              setOp(e.target.value as QueryOp);
              setError(undefined);
            }}
            data-testid="filter-op"
          >
            {ops.map((o) => (
              <option key={o} value={o}>
                {operatorLabel(o)}
              </option>
            ))}
          </select>
        </div>
        {kind === 'one' ? (
          <div className="control">
            <label htmlFor={`${id}-value`}>Value</label>
            <input
              id={`${id}-value`}
              className="input input--small"
              type={type}
              value={values[0]}
              placeholder={hint}
              list={top.length > 0 ? `${id}-top` : undefined}
              onChange={(e) => setValues([e.target.value, values[1]])}
              data-testid="filter-value"
              {...invalid}
            />
            {top.length > 0 ? (
              <datalist id={`${id}-top`}>
                {top.map((v) => (
                  <option key={v} value={v} />
                ))}
              </datalist>
            ) : null}
          </div>
        ) : null}
        {kind === 'two' ? (
          <>
            <div className="control">
              <label htmlFor={`${id}-low`}>From</label>
              <input
                id={`${id}-low`}
                className="input input--small"
                type={type}
                value={values[0]}
                placeholder={hint}
                onChange={(e) => setValues([e.target.value, values[1]])}
                data-testid="filter-low"
                {...invalid}
              />
            </div>
            <div className="control">
              <label htmlFor={`${id}-high`}>To</label>
              <input
                id={`${id}-high`}
                className="input input--small"
                type={type}
                value={values[1]}
                placeholder={hint}
                onChange={(e) => setValues([values[0], e.target.value])}
                data-testid="filter-high"
                {...invalid}
              />
            </div>
          </>
        ) : null}
        {kind === 'many' ? (
          <fieldset className="add-filter__values">
            <legend>Values</legend>
            {top.length > 0 ? (
              <ul className="add-filter__top" aria-label={`Most frequent values of ${columnName}`}>
                {top.map((v) => (
                  <li key={v}>
                    <label className="checkbox">
                      <input
                        type="checkbox"
                        checked={picked.includes(v)}
                        onChange={(e) =>
                          setPicked(
                            e.target.checked ? [...picked, v] : picked.filter((p) => p !== v),
                          )
                        }
                      />
                      {v}
                    </label>
                  </li>
                ))}
              </ul>
            ) : null}
            <label htmlFor={`${id}-more`} className="small">
              {top.length > 0 ? 'Other values' : 'Values'} (separated by commas)
            </label>
            <input
              id={`${id}-more`}
              className="input input--small"
              value={more}
              placeholder={hint}
              onChange={(e) => setMore(e.target.value)}
              data-testid="filter-values"
              {...invalid}
            />
          </fieldset>
        ) : null}
      </div>
      {error ? (
        <p className="field__error" id={errorId} role="alert">
          {error}
        </p>
      ) : null}
      <div className="add-filter__actions">
        <button type="submit" className="button button--small" data-testid="filter-add">
          Add filter
        </button>
        <button type="button" className="button button--ghost button--small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
