import { drilledBackTo, filterLabel, type FilterState } from './filters';

type DrillBreadcrumbProps = {
  state: FilterState;
  onChange: (next: FilterState) => void;
  /** The API's messages about drill-down steps, by step. */
  errors: Map<number, string>;
};

/**
 * The drill-down path ("All rows › region = East › channel = Online"): every earlier step is a
 * button back to it; the current one is marked as such.
 */
export function DrillBreadcrumb({ state, onChange, errors }: DrillBreadcrumbProps) {
  if (state.drill.length === 0) return null;
  const root =
    state.filters.length > 0 || state.range.from || state.range.to ? 'Filtered rows' : 'All rows';
  const last = state.drill.length - 1;
  return (
    <nav className="drill" aria-label="Drill-down path" data-testid="drill-breadcrumb">
      <ol className="drill__path">
        <li className="drill__step">
          <button
            type="button"
            className="link-button"
            onClick={() => onChange(drilledBackTo(state, 0))}
            data-testid="drill-step"
            data-depth={0}
          >
            {root}
          </button>
        </li>
        {state.drill.map((filter, index) => {
          const label = filterLabel(filter);
          const error = errors.get(index);
          return (
            <li key={`${index}:${label}`} className="drill__step">
              <span className="drill__separator" aria-hidden="true">
                ›
              </span>
              {index === last ? (
                <span aria-current="step" data-testid="drill-step" data-depth={index + 1}>
                  {label}
                </span>
              ) : (
                <button
                  type="button"
                  className="link-button"
                  onClick={() => onChange(drilledBackTo(state, index + 1))}
                  data-testid="drill-step"
                  data-depth={index + 1}
                >
                  {label}
                </button>
              )}
              {error ? <span className="field__error"> — {error}</span> : null}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
