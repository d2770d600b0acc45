import { screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Dataset } from '../../api/types';
import { dataset, schema, summary } from '../../test/datasetFixtures';
import { renderWithProviders } from '../../test/renderWithProviders';
import DatasetPage from './DatasetPage';

vi.mock('../../components/EChart', () => ({
  EChart: ({ testId }: { testId?: string }) => <div data-testid={testId} />,
}));

afterEach(() => {
  vi.unstubAllGlobals();
});

const answer = {
  columns: [
    { name: 'region', kind: 'group', type: 'string' },
    { name: 'sum_amount', kind: 'measure', type: 'integer' },
  ],
  rows: [{ region: 'East', sum_amount: 30 }],
  total_groups: 1,
  rows_scanned: 5,
  rows_matched: 5,
  row_groups: 1,
  row_groups_skipped: 0,
  elapsed_ms: 2,
  provenance: schema.provenance,
};

function json(body: unknown, status = 200, headers: Record<string, string> = {}) {
  return Promise.resolve(
    new Response(JSON.stringify(body), {
      status,
      headers: {
        'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json',
        ...headers,
      },
    }),
  );
}

describe('the dataset page while the snapshot is written', () => {
  it('Explore prepares, then answers; the export waits until the dataset says the snapshot is written', async () => {
    let datasetReads = 0;
    let queries = 0;
    const fetchMock = vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const path = new URL(url, 'http://localhost').pathname;
      if (path === '/api/v1/datasets/ds_1') {
        datasetReads++;
        // Ready, its snapshot still being written; the next read finds it written.
        const snapshot = datasetReads === 1 ? 'writing' : 'ready';
        return json({ ...dataset, snapshot: { status: snapshot, error: null } } satisfies Dataset);
      }
      if (path === '/api/v1/datasets/ds_1/schema') return json(schema);
      if (path === '/api/v1/datasets/ds_1/summary') return json(summary);
      if (path === '/api/v1/datasets/ds_1/query' && init?.method === 'POST') {
        queries++;
        return queries === 1
          ? json(
              {
                type: 'https://insightstream.dev/problems/snapshot-pending',
                title: 'The snapshot is being written',
                status: 409,
              },
              409,
              { 'Retry-After': '1' },
            )
          : json(answer);
      }
      return json({ title: 'Not found', status: 404 }, 404);
    });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(
      <Routes>
        <Route path="/datasets/:id/explore" element={<DatasetPage view="explore" />} />
      </Routes>,
      { path: '/datasets/ds_1/explore' },
    );
    expect(await screen.findByTestId('snapshot-pending')).toHaveTextContent(
      'Preparing the query… (the snapshot is being written)',
    );
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();

    await screen.findByTestId('explore-table', {}, { timeout: 4000 });
    expect(queries).toBe(2);
    // The dataset still says "writing" (it is read again every 2 s while so).
    expect(datasetReads).toBe(1);
    expect(screen.getByTestId('export-parquet')).toBeDisabled();
    expect(screen.getByTestId('export-note')).toHaveTextContent(
      'available once the snapshot is written',
    );

    await waitFor(() => expect(screen.getByTestId('export-parquet')).toBeEnabled(), {
      timeout: 4000,
    });
    expect(datasetReads).toBe(2);
    expect(screen.queryByTestId('export-note')).not.toBeInTheDocument();
  }, 15_000);
});
