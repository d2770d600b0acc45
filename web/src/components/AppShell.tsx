import { useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { canAdminister } from '../features/auth/roles';
import { useSession, useAuth } from '../features/auth/useAuth';
import { Logo } from './Logo';
import { SectionLink } from './SectionLink';
import { RoleBadge } from './StatusBadge';

export function AppShell() {
  const { user, organization } = useSession();
  const { logout } = useAuth();
  const navigate = useNavigate();
  const [leaving, setLeaving] = useState(false);
  const admin = canAdminister(user.role);

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
            <div className="topbar__who">
              <span className="topbar__org" data-testid="org-name">
                {organization.name}
              </span>
              <span className="topbar__name">
                {user.name || user.email} <RoleBadge role={user.role} />
              </span>
            </div>
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
        <Outlet />
      </main>
    </div>
  );
}
