import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { useId, useState, type SubmitEvent } from 'react';
import { toApiError, type ApiError } from '../../api/errors';
import type { ApiKey, ApiKeyScope } from '../../api/types';
import { ConfirmMutationDialog, Dialog } from '../../components/Dialog';
import { SelectField, TextField } from '../../components/Field';
import { EmptyState } from '../../components/EmptyState';
import { Loading } from '../../components/Loading';
import { Panel } from '../../components/Panel';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatDateTime } from '../../lib/format';
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from './useApiKeys';

type SecretDialogProps = { apiKey: ApiKey | null; onClose: () => void };

function SecretDialog({ apiKey, onClose }: SecretDialogProps) {
  const [copied, setCopied] = useState(false);
  const secretId = useId();
  const copy = async () => {
    if (!apiKey?.key) return;
    try {
      await navigator.clipboard.writeText(apiKey.key);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <Dialog
      open={apiKey !== null}
      title="Your new API key"
      onClose={() => {
        setCopied(false);
        onClose();
      }}
      testId="api-key-secret"
      footer={
        <button type="button" className="button" onClick={onClose}>
          Done
        </button>
      }
    >
      <p>Copy it now: this is the only time it is shown.</p>
      <label htmlFor={secretId} className="field__label">
        {apiKey?.name}
      </label>
      <div className="secret">
        <input
          id={secretId}
          className="input input--mono"
          readOnly
          value={apiKey?.key ?? ''}
          onFocus={(e) => e.target.select()}
        />
        <button type="button" className="button button--secondary" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="small muted">
        Send it as <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
    </Dialog>
  );
}

export default function ApiKeysPage() {
  useDocumentTitle('API keys');
  const keys = useApiKeys();
  const create = useCreateApiKey();
  const revoke = useRevokeApiKey();
  const [name, setName] = useState('');
  const [access, setAccess] = useState<'read' | 'write'>('read');
  const [error, setError] = useState<ApiError | null>(null);
  const [nameError, setNameError] = useState<string | undefined>();
  const [secret, setSecret] = useState<ApiKey | null>(null);
  const [toRevoke, setToRevoke] = useState<ApiKey | null>(null);

  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    if (name.trim() === '') {
      setNameError('Name the key after what uses it');
      return;
    }
    setNameError(undefined);
    const scopes: ApiKeyScope[] = access === 'write' ? ['read', 'write'] : ['read'];
    try {
      const created = await create.mutateAsync({ name: name.trim(), scopes });
      setSecret(created);
      setName('');
    } catch (caught) {
      const problem = toApiError(caught);
      setError(problem);
      setNameError(problem.fieldError('name'));
    }
  };

  const active = keys.data?.items.filter((k) => !k.revoked_at) ?? [];
  const revoked = keys.data?.items.filter((k) => k.revoked_at) ?? [];

  return (
    <div className="page">
      <header className="page__header">
        <div>
          <h1 className="page__title">API keys</h1>
          <p className="page__subtitle">
            Keys let scripts and other services read (or upload) data without a person's password.
          </p>
        </div>
      </header>

      <Panel title="Create a key">
        <form
          className="form form--inline"
          onSubmit={submit}
          noValidate
          aria-label="Create an API key"
        >
          {error ? <ProblemAlert error={error} /> : null}
          <div className="form__grid">
            <TextField
              label="Name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              error={nameError}
              placeholder="e.g. nightly export"
            />
            <SelectField
              label="Access"
              value={access}
              onChange={(e) => setAccess(e.target.value as 'read' | 'write')}
              hint={
                access === 'write'
                  ? 'Acts as an analyst: may upload and delete datasets'
                  : 'Acts as a viewer: read only'
              }
            >
              <option value="read">Read</option>
              <option value="write">Read and write</option>
            </SelectField>
          </div>
          <div className="button-row">
            <button type="submit" className="button" disabled={create.isPending}>
              {create.isPending ? 'Creating…' : 'Create key'}
            </button>
          </div>
        </form>
      </Panel>

      <Panel title="Keys">
        {keys.isPending ? <Loading label="Loading keys…" /> : null}
        {keys.isError ? (
          <ProblemAlert
            error={keys.error}
            context="Could not load the keys"
            onRetry={() => void keys.refetch()}
          />
        ) : null}
        {keys.data?.items.length === 0 ? (
          <EmptyState title="No API keys yet">
            <p>Create one above for a script or an integration.</p>
          </EmptyState>
        ) : null}
        {keys.data && keys.data.items.length > 0 ? (
          <div className="table-scroll">
            <table className="table" data-testid="api-keys-table">
              <caption className="visually-hidden">API keys</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Access</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {[...active, ...revoked].map((key) => (
                  <tr key={key.id} className={key.revoked_at ? 'row--muted' : undefined}>
                    <th scope="row">{key.name}</th>
                    <td>
                      <code className="raw">{key.prefix}…</code>
                    </td>
                    <td>{key.scopes.includes('write') ? 'Read and write' : 'Read'}</td>
                    <td className="small muted">{formatDateTime(key.created_at)}</td>
                    <td className="small muted">
                      {key.last_used_at ? formatDateTime(key.last_used_at) : 'Never'}
                    </td>
                    <td className="actions">
                      {key.revoked_at ? (
                        <span className="small muted">
                          Revoked {formatDateTime(key.revoked_at)}
                        </span>
                      ) : (
                        <button
                          type="button"
                          className="button button--ghost button--small button--danger-text"
                          onClick={() => setToRevoke(key)}
                          aria-label={`Revoke ${key.name}`}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Panel>

      <SecretDialog apiKey={secret} onClose={() => setSecret(null)} />
      <ConfirmMutationDialog
        target={toRevoke}
        mutation={revoke}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        onClose={() => setToRevoke(null)}
      >
        <p>
          Anything using <strong>{toRevoke?.name}</strong> stops working at once.
        </p>
      </ConfirmMutationDialog>
    </div>
  );
}
