import { useId, type ReactNode, type SelectHTMLAttributes } from 'react';
import type { Aggregation, Interval, SchemaColumn } from '../../api/types';
import { ProblemAlert } from '../../components/ProblemAlert';
import { aggregationLabel, intervalLabel } from './labels';
import { isMixedCurrencies } from './measures';

type ControlSelectProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id' | 'className'> & {
  label: string;
  testId?: string | undefined;
  /** The API's message about this choice (a field error of its problem). */
  error?: string | undefined;
  children: ReactNode;
};

/** One labelled option of a chart panel (a small select in the panel's control row). */
export function ControlSelect({ label, testId, error, children, ...select }: ControlSelectProps) {
  const id = useId();
  return (
    <div className={error ? 'control control--invalid' : 'control'}>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        className="select select--small"
        data-testid={testId}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        {...select}
      >
        {children}
      </select>
      {error ? (
        <p className="control__error" id={`${id}-error`} data-testid="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

type ColumnSelectProps = {
  label: string;
  columns: SchemaColumn[];
  value: string;
  onChange: (name: string) => void;
  testId?: string | undefined;
};

/** A choice among columns (a dimension, a date column). */
export function ColumnSelect({ label, columns, value, onChange, testId }: ColumnSelectProps) {
  return (
    <ControlSelect
      label={label}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      testId={testId}
    >
      {columns.map((c) => (
        <option key={c.name} value={c.name}>
          {c.name}
        </option>
      ))}
    </ControlSelect>
  );
}

type MeasureSelectProps = {
  measures: SchemaColumn[];
  measure: string;
  agg: Aggregation;
  onChange: (name: string) => void;
  testId?: string | undefined;
};

/** The measure to aggregate; "rows" and disabled when counting or when there is none. */
export function MeasureSelect({ measures, measure, agg, onChange, testId }: MeasureSelectProps) {
  const rowsOnly = agg === 'count' || measures.length === 0;
  return (
    <ControlSelect
      label="Measure"
      value={agg === 'count' ? '' : measure}
      disabled={rowsOnly}
      onChange={(e) => onChange(e.target.value)}
      testId={testId}
    >
      {rowsOnly ? <option value="">rows</option> : null}
      {measures.map((c) => (
        <option key={c.name} value={c.name}>
          {c.name}
          {c.sum_withheld ? ` (${c.sum_withheld})` : ''}
        </option>
      ))}
    </ControlSelect>
  );
}

type AggregationSelectProps<A extends Aggregation> = {
  options: readonly A[];
  hasMeasures: boolean;
  value: A;
  onChange: (agg: A) => void;
  testId?: string | undefined;
};

/** The aggregation; only a count of rows when the dataset has no measure. */
export function AggregationSelect<A extends Aggregation>({
  options,
  hasMeasures,
  value,
  onChange,
  testId,
}: AggregationSelectProps<A>) {
  return (
    <ControlSelect
      label="Aggregation"
      value={value}
      onChange={(e) => onChange(e.target.value as A)}
      testId={testId}
    >
      {options
        .filter((a) => a === 'count' || hasMeasures)
        .map((a) => (
          <option key={a} value={a}>
            {aggregationLabel(a)}
          </option>
        ))}
    </ControlSelect>
  );
}

type IntervalSelectProps<I extends Interval> = {
  options: readonly I[];
  value: I;
  onChange: (interval: I) => void;
  testId?: string | undefined;
};

export function IntervalSelect<I extends Interval>({
  options,
  value,
  onChange,
  testId,
}: IntervalSelectProps<I>) {
  return (
    <ControlSelect
      label="Interval"
      value={value}
      onChange={(e) => onChange(e.target.value as I)}
      testId={testId}
    >
      {options.map((i) => (
        <option key={i} value={i}>
          {intervalLabel(i)}
        </option>
      ))}
    </ControlSelect>
  );
}

type InsightProblemProps = {
  error: unknown;
  context: string;
  onRetry: () => void;
  /** Switch the panel to a count of rows, which any measure allows. */
  onCountRows: () => void;
};

/**
 * A chart panel's problem. A measure holding several currencies cannot be summed, averaged or
 * compared (400 mixed-currencies): trying again would not help, counting rows does.
 */
export function InsightProblem({ error, context, onRetry, onCountRows }: InsightProblemProps) {
  const mixed = isMixedCurrencies(error);
  return (
    <ProblemAlert error={error} context={context} onRetry={mixed ? undefined : onRetry}>
      {mixed ? (
        <div className="alert__actions">
          <p>
            Amounts in different currencies are never added together: count rows instead, or see the
            total per currency in Columns.
          </p>
          <button
            type="button"
            className="button button--secondary button--small"
            onClick={onCountRows}
          >
            Count rows instead
          </button>
        </div>
      ) : null}
    </ProblemAlert>
  );
}
