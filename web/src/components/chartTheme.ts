/** The palette, matching the CSS variables in styles.css. */
export const CHART_COLORS = [
  '#4f46e5',
  '#0ea5e9',
  '#f59e0b',
  '#10b981',
  '#ef4444',
  '#8b5cf6',
  '#ec4899',
  '#14b8a6',
  '#84cc16',
  '#f97316',
  '#64748b',
];
export const CHART_TEXT = '#475569';
export const CHART_GRID = '#e2e8f0';
export const POSITIVE = '#059669';
export const NEGATIVE = '#dc2626';
