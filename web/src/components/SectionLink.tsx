import type { ReactNode } from 'react';
import { scrollToSection } from '../lib/routing';

type SectionLinkProps = { to: string; children: ReactNode; className?: string };

/** An in-page link to a section (by id) that leaves the route alone. */
export function SectionLink({ to, children, className }: SectionLinkProps) {
  return (
    <a
      href={`#${to}`}
      className={className}
      onClick={(event) => {
        event.preventDefault();
        scrollToSection(to);
      }}
    >
      {children}
    </a>
  );
}
