import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Dataset } from '../../api/types';
import { renderWithProviders, stubFetch } from '../../test/renderWithProviders';
import { DatasetsPage } from './DatasetsPage';

const ready: Dataset = {
  id: 'ds_1',
  name: 'sales',
  format: 'csv',
  version: 1,
  status: 'ready',
  progress: { bytes_done: 100, bytes_total: 100, rows: 2000, percent: 100, eta_seconds: 0 },
  size_bytes: 84503,
  sha256: 'x',
  rows: 2000,
  rows_rejected: 3,
  error: null,
  created_at: '2026-01-01T00:00:00Z',
  ready_at: '2026-01-01T00:00:01Z',
};

const failed: Dataset = {
  ...ready,
  id: 'ds_2',
  name: 'broken',
  status: 'failed',
  rows: null,
  error: 'too many rejected rows (40%)',
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('DatasetsPage', () => {
  it('lists datasets with status badges and the failure reason', async () => {
    stubFetch({ '/api/v1/datasets': { body: { items: [ready, failed], next_cursor: null } } });
    renderWithProviders(<DatasetsPage />, { role: 'analyst' });
    const rows = await screen.findAllByTestId('dataset-row');
    expect(rows).toHaveLength(2);
    const [first, second] = rows;
    expect(within(first!).getByTestId('status-badge')).toHaveTextContent('Ready');
    expect(first).toHaveTextContent('2,000 rows');
    expect(within(second!).getByTestId('status-badge')).toHaveTextContent('Failed');
    expect(second).toHaveTextContent('too many rejected rows (40%)');
  });

  it('offers upload and delete to analysts', async () => {
    stubFetch({ '/api/v1/datasets': { body: { items: [ready], next_cursor: null } } });
    renderWithProviders(<DatasetsPage />, { role: 'analyst' });
    await screen.findByTestId('dataset-row');
    expect(screen.getByRole('button', { name: 'Choose a file' })).toBeInTheDocument();
    expect(screen.getByLabelText('File to upload')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Delete sales' })).toBeInTheDocument();
  });

  it('shows viewers no upload or delete control at all', async () => {
    stubFetch({ '/api/v1/datasets': { body: { items: [ready], next_cursor: null } } });
    renderWithProviders(<DatasetsPage />, { role: 'viewer' });
    await screen.findByTestId('dataset-row');
    expect(screen.queryByTestId('upload-zone')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('File to upload')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /delete/i })).not.toBeInTheDocument();
  });

  it('invites the first upload when there is nothing yet', async () => {
    stubFetch({ '/api/v1/datasets': { body: { items: [], next_cursor: null } } });
    renderWithProviders(<DatasetsPage />, { role: 'owner' });
    expect(await screen.findByText('No datasets yet — drop a CSV here')).toBeInTheDocument();
  });

  it('shows the problem and its request id when the list fails', async () => {
    stubFetch({
      '/api/v1/datasets': {
        status: 503,
        contentType: 'application/problem+json',
        body: {
          type: 'about:blank',
          title: 'Service unavailable',
          status: 503,
          detail: 'the database is down',
          request_id: 'req_9',
        },
      },
    });
    renderWithProviders(<DatasetsPage />, { role: 'viewer' });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Service unavailable');
    expect(alert).toHaveTextContent('the database is down');
    expect(alert).toHaveTextContent('req_9');
  });
});
