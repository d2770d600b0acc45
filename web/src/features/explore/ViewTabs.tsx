import { NavLink, useLocation } from 'react-router';

type ViewTabsProps = { datasetId: string };

/**
 * The dataset's two views. The query string (filters, drill-down, each view's choices) goes
 * along, so switching keeps what the user set up.
 */
export function ViewTabs({ datasetId }: ViewTabsProps) {
  const { search } = useLocation();
  const base = `/datasets/${encodeURIComponent(datasetId)}`;
  return (
    <nav className="view-tabs" aria-label="Dataset views">
      <NavLink end to={{ pathname: base, search }} className="view-tabs__tab">
        Overview
      </NavLink>
      <NavLink to={{ pathname: `${base}/explore`, search }} className="view-tabs__tab">
        Explore
      </NavLink>
    </nav>
  );
}
