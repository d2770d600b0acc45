import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import type { Role } from '../../api/types';
import { EmptyState } from '../../components/EmptyState';
import { Loading } from '../../components/Loading';
import { CHOOSE_PASSWORD_PATH } from './paths';
import { hasRole } from './roles';
import { useAuth } from './useAuth';

type RequireAuthProps = { children: ReactNode };

/**
 * Renders its children for a signed-in user; sends everyone else to the login page, and a
 * member whose password an admin reset to the page where they choose a new one (the API
 * refuses everything else until then).
 */
export function RequireAuth({ children }: RequireAuthProps) {
  const { state } = useAuth();
  const location = useLocation();
  const from = `${location.pathname}${location.search}`;
  if (state.status === 'loading') return <Loading label="Restoring your session…" page />;
  if (state.status === 'anonymous') {
    return <Navigate to="/login" replace state={{ from, expired: state.expired }} />;
  }
  if (state.user.must_change_password) {
    return <Navigate to={CHOOSE_PASSWORD_PATH} replace state={{ from }} />;
  }
  return <>{children}</>;
}

type RequireRoleProps = { minimum: Role; children: ReactNode };

/** A page only some roles may see (the API refuses the others anyway). */
export function RequireRole({ minimum, children }: RequireRoleProps) {
  const { state } = useAuth();
  if (state.status !== 'authenticated') return null;
  if (!hasRole(state.user.role, minimum)) {
    return (
      <div className="page">
        <EmptyState title="You don't have access to this page">
          <p>
            It needs the {minimum} role; you are{' '}
            {state.user.role === 'admin' || state.user.role === 'analyst' ? 'an' : 'a'}{' '}
            {state.user.role}. Ask an administrator of your organization.
          </p>
        </EmptyState>
      </div>
    );
  }
  return <>{children}</>;
}
