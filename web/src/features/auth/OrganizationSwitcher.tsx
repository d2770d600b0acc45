import { useEffect, useId, useRef, useState } from 'react';
import type { Organization, OrganizationChoice } from '../../api/types';
import { RoleBadge } from '../../components/StatusBadge';

type OrganizationSwitcherProps = {
  current: Organization;
  /** Every organization of this sign-in, the current one included. */
  organizations: OrganizationChoice[];
  busy?: boolean;
  onSwitch: (organization: string) => void;
};

/**
 * The current organization, and a disclosure listing the others with your role in each. A
 * button list rather than a <select>: choosing one leaves the page, which a select must not do
 * on change (arrow keys would switch organizations one by one).
 */
export function OrganizationSwitcher({
  current,
  organizations,
  busy = false,
  onSwitch,
}: OrganizationSwitcherProps) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const listId = useId();
  const others = organizations.filter((o) => o.id !== current.id);

  // Close on a click elsewhere, and on Escape (focus goes back to the toggle).
  useEffect(() => {
    if (!open) return undefined;
    const onPointerDown = (event: PointerEvent) => {
      if (event.target instanceof Node && !root.current?.contains(event.target)) setOpen(false);
    };
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      setOpen(false);
      toggle.current?.focus();
    };
    document.addEventListener('pointerdown', onPointerDown);
    document.addEventListener('keydown', onKeyDown);
    return () => {
      document.removeEventListener('pointerdown', onPointerDown);
      document.removeEventListener('keydown', onKeyDown);
    };
  }, [open]);

  return (
    <div
      className="org-switcher"
      ref={root}
      data-testid="org-switcher"
      onBlur={(event) => {
        if (!(event.relatedTarget instanceof Node && root.current?.contains(event.relatedTarget)))
          setOpen(false);
      }}
    >
      <button
        ref={toggle}
        type="button"
        className="button button--ghost button--small org-switcher__toggle"
        aria-expanded={open}
        aria-controls={listId}
        aria-busy={busy || undefined}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="visually-hidden">Organization:</span>{' '}
        <span className="org-switcher__name" data-testid="org-name">
          {current.name}
        </span>
        <span className="org-switcher__caret" aria-hidden="true">
          ▾
        </span>
      </button>
      <div className="org-switcher__panel" id={listId} hidden={!open}>
        <p className="org-switcher__heading" id={`${listId}-heading`}>
          {busy ? 'Switching…' : 'Switch to'}
        </p>
        <ul className="org-switcher__list" aria-labelledby={`${listId}-heading`}>
          {others.map((o) => (
            <li key={o.id}>
              <button
                type="button"
                className="org-switcher__item"
                disabled={busy}
                data-organization={o.id}
                onClick={() => {
                  setOpen(false);
                  toggle.current?.focus();
                  onSwitch(o.id);
                }}
              >
                <span className="org-switcher__item-name">{o.name}</span>{' '}
                <span className="visually-hidden">as</span> <RoleBadge role={o.role} />
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
