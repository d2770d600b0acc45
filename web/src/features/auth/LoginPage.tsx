import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { Link, Navigate, useLocation } from 'react-router';
import { ProblemAlert } from '../../components/ProblemAlert';
import { AuthLayout } from './AuthLayout';
import { LoginForm } from './LoginForm';
import { useAuth } from './useAuth';

type LocationState = { from?: string; expired?: boolean } | null;

export function LoginPage() {
  useDocumentTitle('Log in');
  const { state, login } = useAuth();
  const location = useLocation();
  const locationState = location.state as LocationState;
  const target =
    locationState?.from && locationState.from !== '/login' ? locationState.from : '/datasets';

  if (state.status === 'authenticated') return <Navigate to={target} replace />;

  return (
    <AuthLayout
      title="Log in"
      subtitle="Welcome back. See what is in your data."
      footer={
        <p>
          New to InsightStream? <Link to="/signup">Create an account</Link>
        </p>
      }
    >
      {locationState?.expired ? (
        <div className="alert alert--info" role="status">
          <div className="alert__body">
            <p className="alert__title">Your session has ended</p>
            <p className="alert__detail">Log in again to continue.</p>
          </div>
        </div>
      ) : null}
      {state.status === 'anonymous' && state.error ? (
        <ProblemAlert error={state.error} context="Could not restore your session" />
      ) : null}
      <LoginForm onSubmit={login} />
    </AuthLayout>
  );
}
