import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { QueryRequest } from '../../api/types';
import { schema } from '../../test/datasetFixtures';
import { renderWithProviders } from '../../test/renderWithProviders';
import { BreakdownPanel } from './BreakdownPanel';
import { FilteredKpis } from './FilteredKpis';
import { GroupsPanel } from './GroupsPanel';

vi.mock('../../components/EChart', () => ({
  EChart: ({ testId, data }: { testId?: string; data?: Record<string, string | number> }) => (
    <div data-testid={testId} data-bars={data?.bars} data-series={data?.series} />
  ),
}));

afterEach(() => {
  vi.unstubAllGlobals();
});

const provenance = schema.provenance;
const answer = (rows: Record<string, unknown>[], total_groups = rows.length) => ({
  columns: [],
  rows,
  total_groups,
  rows_scanned: 5,
  rows_matched: 4,
  row_groups: 1,
  row_groups_skipped: 0,
  elapsed_ms: 1,
  provenance,
});

function stubQuery(answerFor: (body: QueryRequest) => unknown) {
  const sent: QueryRequest[] = [];
  const fetchMock = vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.includes('/query') || init?.method !== 'POST')
      return Promise.resolve(new Response('{}', { status: 404 }));
    const body = JSON.parse(init.body as string) as QueryRequest;
    sent.push(body);
    return Promise.resolve(
      new Response(JSON.stringify(answerFor(body)), {
        headers: { 'Content-Type': 'application/json' },
      }),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return sent;
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

/** A fetch stub for POST /query answering each call (by its number, from 0) as `reply` says. */
function stubReplies(reply: (call: number, body: QueryRequest) => Reply) {
  const at: number[] = [];
  const fetchMock = vi.fn((_input: RequestInfo | URL, init?: RequestInit) => {
    const body = JSON.parse(init?.body as string) as QueryRequest;
    const r = reply(at.length, body);
    at.push(Date.now());
    const problem = r.status >= 400;
    return Promise.resolve(
      new Response(JSON.stringify(r.body), {
        status: r.status,
        headers: {
          'Content-Type': problem ? 'application/problem+json' : 'application/json',
          ...r.headers,
        },
      }),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return at;
}

const snapshotPending: Reply = {
  status: 409,
  headers: { 'Retry-After': '1' },
  body: {
    type: 'https://insightstream.dev/problems/snapshot-pending',
    title: 'The snapshot is being written',
    status: 409,
    detail: 'version 1 is ready; its snapshot is being written',
  },
};

const filters = [{ column: 'day', op: 'ge' as const, value: '2023-02-01' }];
const view = { filters, range: {}, schema };

describe('panels under filters', () => {
  it('groups come from POST /query with the filters; a group drills down to it', async () => {
    const user = userEvent.setup();
    const sent = stubQuery((body) =>
      body.group_by
        ? answer(
            [
              { region: 'East', value: 30, rows: 2 },
              { region: null, value: 10, rows: 1 },
            ],
            3,
          )
        : answer([{ value: 45, rows: 4 }]),
    );
    const onDrill = vi.fn();
    renderWithProviders(
      <GroupsPanel datasetId="ds_1" version={1} schema={schema} view={view} onDrill={onDrill} />,
      { path: '/datasets/ds_1?g.agg=sum&g.m=amount&g.n=5' },
    );
    const chart = await screen.findByTestId('groups-chart');
    // Two groups and "Other" (the rest of the total): 45 − 30 − 10.
    expect(chart).toHaveAttribute('data-bars', '3');
    const measures = [
      { agg: 'sum', column: 'amount', as: 'value' },
      { agg: 'count', column: 'amount', as: 'rows' },
    ];
    expect(sent).toContainEqual({ filters, group_by: ['region'], measures, limit: 5 });
    expect(sent).toContainEqual({ filters, measures });
    expect(screen.getByTestId('groups-panel')).toHaveTextContent('filtered (1 condition)');
    const table = screen.getByTestId('groups-table');
    expect(within(table).getByText('Other').closest('tr')).toHaveTextContent('Other511.1%1');
    await user.click(within(table).getByRole('button', { name: 'Filter by region = East' }));
    expect(onDrill).toHaveBeenLastCalledWith({ column: 'region', op: 'eq', values: ['East'] });
    await user.click(within(table).getByRole('button', { name: 'Filter by region empty' }));
    expect(onDrill).toHaveBeenLastCalledWith({ column: 'region', op: 'is_null', values: [] });
  });

  it('the breakdown keeps the top groups under the same filters', async () => {
    const user = userEvent.setup();
    const sent = stubQuery((body) => {
      if (!body.time) return answer([{ region: 'East' }, { region: 'West' }], 2);
      return answer([
        { region: 'East', period: '2023-Q1', value: 7, rows: 1 },
        { region: 'West', period: '2023-Q2', value: 3, rows: 1 },
      ]);
    });
    const onDrill = vi.fn();
    renderWithProviders(
      <BreakdownPanel datasetId="ds_1" version={1} schema={schema} view={view} onDrill={onDrill} />,
      { path: '/datasets/ds_1?b.by=region&b.agg=count' },
    );
    const chart = await screen.findByTestId('breakdown-chart');
    expect(chart).toHaveAttribute('data-series', '2');
    expect(sent[0]).toEqual({
      filters,
      group_by: ['region'],
      measures: [{ agg: 'count', as: 'value' }],
      limit: 6,
    });
    expect(sent[1]).toMatchObject({
      filters,
      group_by: ['region'],
      time: { column: 'day', interval: 'quarter' },
    });
    await user.click(
      within(screen.getByTestId('breakdown-table')).getByRole('button', {
        name: 'Filter by region = West',
      }),
    );
    await waitFor(() =>
      expect(onDrill).toHaveBeenCalledWith({ column: 'region', op: 'eq', values: ['West'] }),
    );
  });

  it('waits while the snapshot is written (409 snapshot-pending), then shows the data by itself', async () => {
    // The first round (the groups and their total) answers snapshot-pending with Retry-After: 1.
    const at = stubReplies((call, body) =>
      call < 2
        ? snapshotPending
        : {
            status: 200,
            body: body.group_by
              ? answer(
                  [
                    { region: 'East', value: 30, rows: 2 },
                    { region: 'West', value: 10, rows: 1 },
                  ],
                  3,
                )
              : answer([{ value: 45, rows: 4 }]),
          },
    );
    renderWithProviders(<GroupsPanel datasetId="ds_1" version={1} schema={schema} view={view} />, {
      path: '/datasets/ds_1?g.agg=sum&g.m=amount&g.n=5',
    });
    const preparing = await screen.findByTestId('snapshot-pending');
    expect(preparing).toHaveTextContent(
      'Preparing the filtered view… (the snapshot is being written)',
    );
    expect(preparing).toHaveAttribute('role', 'status');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.queryByTestId('groups-chart')).not.toBeInTheDocument();

    // No click: the panel asks again after Retry-After and draws the answer.
    const chart = await screen.findByTestId('groups-chart', {}, { timeout: 4000 });
    expect(chart).toHaveAttribute('data-bars', '3');
    expect(screen.queryByTestId('snapshot-pending')).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(at).toHaveLength(4);
    // The second round came after the Retry-After second, not at once.
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(900);
  });

  it('shows why the snapshot failed (409 snapshot-failed) and does not ask again', async () => {
    const at = stubReplies(() => ({
      status: 409,
      // A Retry-After it must not follow: a failed snapshot stays failed.
      headers: { 'Retry-After': '1' },
      body: {
        type: 'https://insightstream.dev/problems/snapshot-failed',
        title: 'The snapshot of this version could not be written',
        status: 409,
        detail: 'no space left on device while writing the Parquet file',
      },
    }));
    renderWithProviders(
      <FilteredKpis datasetId="ds_1" version={1} schema={schema} summary={undefined} view={view} />,
    );
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the key figures of the filtered rows');
    expect(alert).toHaveTextContent('The snapshot of this version could not be written');
    expect(alert).toHaveTextContent('no space left on device while writing the Parquet file');
    // Trying again would fail the same way.
    expect(within(alert).queryByRole('button', { name: 'Try again' })).not.toBeInTheDocument();
    expect(screen.queryByTestId('snapshot-pending')).not.toBeInTheDocument();
    const asked = at.length;
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(at).toHaveLength(asked);
    expect(screen.getByRole('alert')).toHaveTextContent('no space left on device');
  });
});
