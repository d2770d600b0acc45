import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { Link, Navigate } from 'react-router';
import { AuthLayout } from './AuthLayout';
import { SignupForm } from './SignupForm';
import { useAuth } from './useAuth';

export function SignupPage() {
  useDocumentTitle('Sign up');
  const { state, signup } = useAuth();
  if (state.status === 'authenticated') return <Navigate to="/datasets" replace />;
  return (
    <AuthLayout
      title="Create your account"
      subtitle="Start an organization; invite your team once you are in."
      footer={
        <p>
          Already have an account? <Link to="/login">Log in</Link>
        </p>
      }
    >
      <SignupForm onSubmit={signup} />
    </AuthLayout>
  );
}
