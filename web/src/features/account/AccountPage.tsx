import { useState } from 'react';
import { Panel } from '../../components/Panel';
import { RoleBadge } from '../../components/StatusBadge';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { ChangePasswordForm } from '../auth/ChangePasswordForm';
import { useAuth, useSession } from '../auth/useAuth';

/** Who you are signed in as, and your password. */
export default function AccountPage() {
  useDocumentTitle('Account');
  const { user, organization } = useSession();
  const { changePassword } = useAuth();
  const [changed, setChanged] = useState(false);

  return (
    <div className="page">
      <header className="page__header">
        <div>
          <h1 className="page__title">Account</h1>
          <p className="page__subtitle">Your sign-in to InsightStream.</p>
        </div>
      </header>

      <Panel title="You" testId="account-profile">
        <dl className="facts">
          <div className="facts__row">
            <dt>Name</dt>
            <dd>{user.name || '—'}</dd>
          </div>
          <div className="facts__row">
            <dt>E-mail</dt>
            <dd>{user.email}</dd>
          </div>
          <div className="facts__row">
            <dt>Organization</dt>
            <dd>{organization.name}</dd>
          </div>
          <div className="facts__row">
            <dt>Role</dt>
            <dd>
              <RoleBadge role={user.role} />
            </dd>
          </div>
        </dl>
      </Panel>

      <Panel
        title="Change password"
        description="The new password opens every organization the current one opens."
        testId="change-password"
      >
        <div className="narrow-stack">
          {changed ? (
            <div className="alert alert--success" role="status">
              <div className="alert__body">
                <p className="alert__title">Your password was changed</p>
                <p className="alert__detail">
                  Your other sessions were signed out; this one goes on.
                </p>
              </div>
            </div>
          ) : null}
          <ChangePasswordForm
            label="Change password"
            submitLabel="Change password"
            onSubmit={async (input) => {
              setChanged(false);
              await changePassword(input);
            }}
            onDone={() => setChanged(true)}
          />
        </div>
      </Panel>
    </div>
  );
}
