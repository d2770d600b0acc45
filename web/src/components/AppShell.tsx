import { useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { OrganizationSwitcher } from '../features/auth/OrganizationSwitcher';
import { canAdminister } from '../features/auth/roles';
import { useSession, useAuth } from '../features/auth/useAuth';
import { useOrganizations, useSwitchOrganization } from '../features/auth/useOrganizations';
import { Logo } from './Logo';
import { ProblemAlert } from './ProblemAlert';
import { SectionLink } from './SectionLink';
import { RoleBadge } from './StatusBadge';

export function AppShell() {
  const { user, organization } = useSession();
  const { logout } = useAuth();
  const navigate = useNavigate();
  const [leaving, setLeaving] = useState(false);
  const organizations = useOrganizations();
  const switching = useSwitchOrganization();
  const admin = canAdminister(user.role);
  // Without the list (loading, or /me failed) the name alone is shown: switching can wait.
  const choices = organizations.data ?? [];
  const several = choices.length > 1;

  const onLogout = async () => {
    setLeaving(true);
    await logout();
    await navigate('/login', { replace: true });
  };

  return (
    <div className="shell">
      <SectionLink className="skip-link" to="main">
        Skip to content
      </SectionLink>
      <header className="topbar">
        <div className="topbar__inner">
          <NavLink to="/datasets" className="topbar__brand" aria-label="InsightStream — datasets">
            <Logo />
          </NavLink>
          <nav className="topbar__nav" aria-label="Main">
            <NavLink to="/datasets" className="nav-link">
              Datasets
            </NavLink>
            {admin ? (
              <>
                <NavLink to="/members" className="nav-link">
                  Members
                </NavLink>
                <NavLink to="/api-keys" className="nav-link">
                  API keys
                </NavLink>
                <NavLink to="/activity" className="nav-link">
                  Activity
                </NavLink>
              </>
            ) : null}
          </nav>
          <div className="topbar__user">
            {several ? (
              <OrganizationSwitcher
                current={organization}
                organizations={choices}
                busy={switching.busy}
                onSwitch={(id) => void switching.run(id)}
              />
            ) : null}
            <div className="topbar__who">
              {several ? null : (
                <span className="topbar__org" data-testid="org-name">
                  {organization.name}
                </span>
              )}
              <span className="topbar__name">
                {user.name || user.email} <RoleBadge role={user.role} />
              </span>
            </div>
            <NavLink to="/account" className="button button--ghost button--small">
              Account
            </NavLink>
            <button
              type="button"
              className="button button--ghost button--small"
              onClick={onLogout}
              disabled={leaving}
            >
              Log out
            </button>
          </div>
        </div>
      </header>
      <main className="main" id="main" tabIndex={-1}>
        {switching.error ? (
          <div className="shell__notice">
            <ProblemAlert error={switching.error} context="Could not switch the organization" />
          </div>
        ) : null}
        <Outlet />
      </main>
    </div>
  );
}
