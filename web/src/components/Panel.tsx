import type { ReactNode } from 'react';

type PanelProps = {
  title: string;
  description?: ReactNode;
  /** Controls in the header (selects, toggles). */
  actions?: ReactNode;
  children: ReactNode;
  testId?: string;
  id?: string;
};

/** A titled card section of a page. */
export function Panel({ title, description, actions, children, testId, id }: PanelProps) {
  const headingId = id ? `${id}-title` : undefined;
  return (
    <section className="panel" data-testid={testId} id={id} aria-labelledby={headingId}>
      <header className="panel__header">
        <div className="panel__heading">
          <h2 className="panel__title" id={headingId}>
            {title}
          </h2>
          {description ? <p className="panel__description">{description}</p> : null}
        </div>
        {actions ? <div className="panel__actions">{actions}</div> : null}
      </header>
      <div className="panel__content">{children}</div>
    </section>
  );
}

type TableViewProps = {
  /** Summary text of the disclosure. */
  label?: string;
  caption: string;
  children: ReactNode;
  testId?: string;
  defaultOpen?: boolean;
};

/** The numbers behind a chart, as a real table in a disclosure. */
export function TableView({
  label = 'Show as table',
  caption,
  children,
  testId,
  defaultOpen = false,
}: TableViewProps) {
  return (
    <details className="table-view" data-testid={testId} open={defaultOpen || undefined}>
      <summary>{label}</summary>
      <div className="table-scroll">
        <table className="table">
          <caption className="visually-hidden">{caption}</caption>
          {children}
        </table>
      </div>
    </details>
  );
}
