import { useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import { Loading } from '../../components/Loading';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { AuthLayout } from './AuthLayout';
import { ChangePasswordForm } from './ChangePasswordForm';
import { CHOOSE_PASSWORD_PATH } from './paths';
import { useAuth } from './useAuth';

type LocationState = { from?: string } | null;

/**
 * An admin reset this member's password: the API answers nothing but GET /me, POST
 * /me/password and logout until they choose a new one, so neither does the app.
 */
export function ChoosePasswordPage() {
  useDocumentTitle('Choose a new password');
  const { state, changePassword, logout } = useAuth();
  const location = useLocation();
  const [leaving, setLeaving] = useState(false);
  const from = (location.state as LocationState)?.from;
  const target = from && from !== CHOOSE_PASSWORD_PATH && from !== '/login' ? from : '/datasets';

  if (state.status === 'loading') return <Loading label="Restoring your session…" page />;
  if (state.status === 'anonymous') return <Navigate to="/login" replace />;
  if (!state.user.must_change_password) return <Navigate to={target} replace />;

  return (
    <AuthLayout
      title="Choose a new password"
      subtitle={
        <>
          An administrator of <strong>{state.organization.name}</strong> set a temporary password
          for {state.user.email}. Choose your own to continue.
        </>
      }
      footer={
        <button
          type="button"
          className="button button--ghost button--small"
          disabled={leaving}
          onClick={() => {
            setLeaving(true);
            void logout();
          }}
        >
          Log out
        </button>
      }
    >
      <ChangePasswordForm
        label="Choose a new password"
        submitLabel="Save and continue"
        currentHint="The temporary password you were given"
        onSubmit={changePassword}
        block
      />
    </AuthLayout>
  );
}
