import type { PanelFilters } from '../explore/filteredInsights';

type FilteredTagProps = { view?: PanelFilters | undefined };

/** " · filtered" in a panel's description while the view's filters apply to it. */
export function FilteredTag({ view }: FilteredTagProps) {
  if (!view || view.filters.length === 0) return null;
  const count = view.filters.length;
  return (
    <>
      {' · '}
      <span className="filtered-tag" data-testid="filtered-tag">
        filtered ({count} {count === 1 ? 'condition' : 'conditions'})
      </span>
    </>
  );
}
