import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { useState } from 'react';
import type { Member, Role } from '../../api/types';
import { ConfirmMutationDialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { Loading } from '../../components/Loading';
import { Panel } from '../../components/Panel';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RoleBadge } from '../../components/StatusBadge';
import { formatDateTime } from '../../lib/format';
import { assignableRoles } from '../auth/roles';
import { useSession } from '../auth/useAuth';
import { AddMemberForm } from './AddMemberForm';
import { ResetPasswordDialog } from './ResetPasswordDialog';
import { useChangeRole, useMembers, useRemoveMember } from './useMembers';

export default function MembersPage() {
  useDocumentTitle('Members');
  const { user } = useSession();
  const members = useMembers();
  const changeRole = useChangeRole();
  const remove = useRemoveMember();
  const [toRemove, setToRemove] = useState<Member | null>(null);
  const [toReset, setToReset] = useState<Member | null>(null);
  const [wasReset, setWasReset] = useState<string | null>(null);
  const roles = assignableRoles(user.role);
  const manageable = (member: Member) => member.id !== user.id && roles.includes(member.role);

  return (
    <div className="page">
      <header className="page__header">
        <div>
          <h1 className="page__title">Members</h1>
          <p className="page__subtitle">Who can see and change your organization's data.</p>
        </div>
      </header>

      <Panel title="Add a member" testId="add-member">
        <AddMemberForm roles={roles} />
      </Panel>

      <Panel title="Members" testId="members-panel">
        {members.isPending ? <Loading label="Loading members…" /> : null}
        {members.isError ? (
          <ProblemAlert
            error={members.error}
            context="Could not load the members"
            onRetry={() => void members.refetch()}
          />
        ) : null}
        {wasReset ? (
          <div className="alert alert--success" role="status">
            <div className="alert__body">
              <p className="alert__title">The password of {wasReset} was reset</p>
              <p className="alert__detail">
                Their sessions have ended. Share the temporary password with them privately; at
                their next login they must choose a new one.
              </p>
            </div>
          </div>
        ) : null}
        {changeRole.error ? (
          <ProblemAlert error={changeRole.error} context="The role was not changed" />
        ) : null}
        {members.data?.items.length === 0 ? <EmptyState title="No members yet" /> : null}
        {members.data && members.data.items.length > 0 ? (
          <div className="table-scroll">
            <table className="table" data-testid="members-table">
              <caption className="visually-hidden">Members of the organization</caption>
              <thead>
                <tr>
                  <th scope="col">Member</th>
                  <th scope="col">Role</th>
                  <th scope="col">Added</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.data.items.map((member) => (
                  <tr key={member.id} data-testid="member-row" data-email={member.email}>
                    <th scope="row">
                      <div className="member">
                        <span className="member__name">{member.name || member.email}</span>
                        {member.name ? <span className="small muted">{member.email}</span> : null}
                        {member.id === user.id ? <span className="small muted">(you)</span> : null}
                      </div>
                    </th>
                    <td>
                      {manageable(member) ? (
                        <select
                          className="select select--small"
                          aria-label={`Role of ${member.email}`}
                          value={member.role}
                          disabled={changeRole.isPending}
                          onChange={(e) =>
                            changeRole.mutate({ id: member.id, role: e.target.value as Role })
                          }
                        >
                          {roles.map((r) => (
                            <option key={r} value={r}>
                              {r}
                            </option>
                          ))}
                        </select>
                      ) : (
                        <RoleBadge role={member.role} />
                      )}
                    </td>
                    <td className="small muted">{formatDateTime(member.created_at)}</td>
                    <td className="actions">
                      {manageable(member) ? (
                        <>
                          <button
                            type="button"
                            className="button button--ghost button--small"
                            onClick={() => {
                              setWasReset(null);
                              setToReset(member);
                            }}
                            aria-label={`Reset password of ${member.email}`}
                          >
                            Reset password
                          </button>
                          <button
                            type="button"
                            className="button button--ghost button--small button--danger-text"
                            onClick={() => setToRemove(member)}
                            aria-label={`Remove ${member.email}`}
                          >
                            Remove
                          </button>
                        </>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Panel>

      <ResetPasswordDialog
        key={toReset?.id ?? 'none'}
        member={toReset}
        onClose={() => setToReset(null)}
        onDone={(member) => {
          setToReset(null);
          setWasReset(member.email);
        }}
      />

      <ConfirmMutationDialog
        target={toRemove}
        mutation={remove}
        title="Remove this member?"
        confirmLabel="Remove member"
        onClose={() => setToRemove(null)}
      >
        <p>
          <strong>{toRemove?.email}</strong> loses access at once: their sessions end and they
          cannot log in again.
        </p>
      </ConfirmMutationDialog>
    </div>
  );
}
