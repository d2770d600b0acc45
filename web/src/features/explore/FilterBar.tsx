import { useEffect, useId, useRef, useState } from 'react';
import type { Schema, Summary } from '../../api/types';
import { AddFilterForm } from './AddFilterForm';
import {
  filterLabel,
  hasFilters,
  NO_FILTERS,
  withFilter,
  withoutFilter,
  withRange,
  type FilterState,
} from './filters';
import { encodeFilter } from './urlState';

export type FilterErrors = {
  chips: Map<number, string>;
  drill: Map<number, string>;
  range: string | undefined;
};

type FilterBarProps = {
  schema: Schema;
  summary: Summary | undefined;
  state: FilterState;
  onChange: (next: FilterState) => void;
  /** The API's messages about filters, next to the chip (or the range) they name. */
  errors: FilterErrors;
};

/** The first day of an ISO date or timestamp ("2024-03-05T…" → "2024-03-05"). */
function day(text: string | null | undefined): string | undefined {
  return text && /^\d{4}-\d{2}-\d{2}/.test(text) ? text.slice(0, 10) : undefined;
}

/**
 * The filters every panel applies: chips of (column, condition, values) with × to remove them,
 * "Add filter", and a date range on the primary time column.
 */
export function FilterBar({ schema, summary, state, onChange, errors }: FilterBarProps) {
  const [adding, setAdding] = useState(false);
  const id = useId();
  const addButton = useRef<HTMLButtonElement>(null);
  const chipList = useRef<HTMLUListElement>(null);
  // After a chip goes, focus moves to the chip that took its place (or "Add filter").
  const focusChip = useRef<number | null>(null);
  useEffect(() => {
    const index = focusChip.current;
    if (index === null) return;
    focusChip.current = null;
    const buttons = chipList.current?.querySelectorAll<HTMLButtonElement>('.chip__remove');
    const target = buttons?.[Math.min(index, buttons.length - 1)] ?? addButton.current;
    target?.focus();
  }, [state.filters]);
  const closeForm = () => {
    setAdding(false);
    addButton.current?.focus();
  };
  const time = schema.primary_time;
  const timeStats = time ? summary?.columns.find((c) => c.name === time) : undefined;
  const min = day(timeStats?.min);
  const max = day(timeStats?.max);
  const chipErrors = [...errors.chips.entries()];

  return (
    <section className="filter-bar" aria-labelledby={`${id}-title`} data-testid="filter-bar">
      <div className="filter-bar__row">
        <h2 className="filter-bar__title" id={`${id}-title`}>
          Filters
        </h2>
        {state.filters.length > 0 ? (
          <ul className="chips" aria-label="Active filters" ref={chipList}>
            {state.filters.map((filter, index) => {
              const label = filterLabel(filter);
              const error = errors.chips.get(index);
              return (
                <li
                  key={`${index}:${encodeFilter(filter)}`}
                  className={error ? 'chip chip--invalid' : 'chip'}
                  data-testid="filter-chip"
                  data-filter={encodeFilter(filter)}
                >
                  <span className="chip__label">{label}</span>
                  <button
                    type="button"
                    className="chip__remove"
                    aria-label={`Remove filter ${label}`}
                    aria-describedby={error ? `${id}-chip-${index}` : undefined}
                    onClick={() => {
                      focusChip.current = index;
                      onChange(withoutFilter(state, index));
                    }}
                  >
                    <span aria-hidden="true">×</span>
                  </button>
                </li>
              );
            })}
          </ul>
        ) : (
          <p className="small muted">None</p>
        )}
        <button
          ref={addButton}
          type="button"
          className="button button--secondary button--small"
          aria-expanded={adding}
          aria-controls={adding ? `${id}-add` : undefined}
          onClick={() => setAdding(!adding)}
          data-testid="add-filter"
        >
          + Add filter
        </button>
        {time ? (
          <div className="date-range" role="group" aria-label={`Date range of ${time}`}>
            <div className="control control--inline">
              <label htmlFor={`${id}-from`}>{time} from</label>
              <input
                id={`${id}-from`}
                className="input input--small"
                type="date"
                value={state.range.from ?? ''}
                min={min}
                max={state.range.to ?? max}
                aria-invalid={errors.range ? true : undefined}
                aria-describedby={errors.range ? `${id}-range` : undefined}
                onChange={(e) =>
                  onChange(withRange(state, { ...state.range, from: e.target.value }))
                }
                data-testid="range-from"
              />
            </div>
            <div className="control control--inline">
              <label htmlFor={`${id}-to`}>to</label>
              <input
                id={`${id}-to`}
                className="input input--small"
                type="date"
                value={state.range.to ?? ''}
                min={state.range.from ?? min}
                max={max}
                aria-invalid={errors.range ? true : undefined}
                aria-describedby={errors.range ? `${id}-range` : undefined}
                onChange={(e) => onChange(withRange(state, { ...state.range, to: e.target.value }))}
                data-testid="range-to"
              />
            </div>
          </div>
        ) : null}
        {hasFilters(state) ? (
          <button
            type="button"
            className="button button--ghost button--small"
            onClick={() => onChange(NO_FILTERS)}
            data-testid="clear-filters"
          >
            Clear all
          </button>
        ) : null}
      </div>
      {chipErrors.length > 0 || errors.range ? (
        <ul className="filter-bar__errors" aria-label="Problems with the filters">
          {chipErrors.map(([index, message]) => {
            const filter = state.filters[index];
            return (
              <li key={index} id={`${id}-chip-${index}`} className="field__error">
                {filter ? <strong>{filterLabel(filter)}:</strong> : null} {message}
              </li>
            );
          })}
          {errors.range ? (
            <li id={`${id}-range`} className="field__error">
              <strong>Date range:</strong> {errors.range}
            </li>
          ) : null}
        </ul>
      ) : null}
      {adding ? (
        <div id={`${id}-add`}>
          <AddFilterForm
            schema={schema}
            summary={summary}
            onAdd={(filter) => {
              closeForm();
              onChange(withFilter(state, filter));
            }}
            onCancel={closeForm}
          />
        </div>
      ) : null}
    </section>
  );
}
