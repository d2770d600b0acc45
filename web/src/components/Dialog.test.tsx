import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors';
import { ConfirmMutationDialog } from './Dialog';

type Options = { onSuccess: () => void };

function mutation(overrides: Partial<{ isPending: boolean; error: unknown }> = {}) {
  return {
    isPending: false,
    error: null as unknown,
    reset: vi.fn(),
    mutate: vi.fn<(id: string, options: Options) => void>(),
    ...overrides,
  };
}

describe('ConfirmMutationDialog', () => {
  it('is closed without a target', () => {
    render(
      <ConfirmMutationDialog
        target={null}
        mutation={mutation()}
        title="Delete?"
        confirmLabel="Delete"
        onClose={vi.fn()}
      >
        <p>gone</p>
      </ConfirmMutationDialog>,
    );
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
  });

  it('runs the mutation with the target id, then closes and reports done', async () => {
    const m = mutation();
    m.mutate.mockImplementation((_id: string, options: Options) => options.onSuccess());
    const onClose = vi.fn();
    const onDone = vi.fn();
    render(
      <ConfirmMutationDialog
        target={{ id: 'ds_1' }}
        mutation={m}
        title="Delete?"
        confirmLabel="Delete"
        onClose={onClose}
        onDone={onDone}
      >
        <p>gone</p>
      </ConfirmMutationDialog>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(m.mutate).toHaveBeenCalledWith('ds_1', expect.anything());
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(onDone).toHaveBeenCalledTimes(1);
  });

  it('cancelling resets the mutation and closes without running it', async () => {
    const m = mutation();
    const onClose = vi.fn();
    render(
      <ConfirmMutationDialog
        target={{ id: 'u_1' }}
        mutation={m}
        title="Remove?"
        confirmLabel="Remove"
        onClose={onClose}
      >
        <p>gone</p>
      </ConfirmMutationDialog>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(m.mutate).not.toHaveBeenCalled();
    expect(m.reset).toHaveBeenCalledTimes(1);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('shows the problem when the mutation failed', () => {
    const error = new ApiError({ status: 403, title: 'Forbidden', detail: 'owners only' });
    render(
      <ConfirmMutationDialog
        target={{ id: 'k_1' }}
        mutation={mutation({ error })}
        title="Revoke?"
        confirmLabel="Revoke"
        onClose={vi.fn()}
      >
        <p>gone</p>
      </ConfirmMutationDialog>,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('owners only');
  });
});
