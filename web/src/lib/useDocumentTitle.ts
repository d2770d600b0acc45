import { useEffect } from 'react';

/** "Sales · InsightStream" in the tab (and for screen readers on navigation). */
export function useDocumentTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · InsightStream` : 'InsightStream';
  }, [title]);
}
