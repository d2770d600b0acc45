import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { QueryRequest } from '../../api/types';
import { schema } from '../../test/datasetFixtures';
import { renderWithProviders } from '../../test/renderWithProviders';
import { ExplorePanel } from './ExplorePanel';
import type { ExploreSettings } from './urlState';

vi.mock('../../components/EChart', () => ({
  EChart: ({ testId, data }: { testId?: string; data?: Record<string, string | number> }) => (
    <div data-testid={testId} data-kind={data?.kind} />
  ),
}));

afterEach(() => {
  vi.unstubAllGlobals();
});

const provenance = schema.provenance;

type Answer = { status?: number; body: unknown; contentType?: string };

/** A fetch stub for POST /query that answers by the request (and records each). */
function stubQuery(answer: (body: QueryRequest, accept: string) => Answer) {
  const sent: { body: QueryRequest; accept: string }[] = [];
  const fetchMock = vi.fn((_input: RequestInfo | URL, init?: RequestInit) => {
    const body = JSON.parse(init?.body as string) as QueryRequest;
    const accept = new Headers(init?.headers).get('Accept') ?? '';
    sent.push({ body, accept });
    const a = answer(body, accept);
    const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    return Promise.resolve(
      new Response(text, {
        status: a.status ?? 200,
        headers: { 'Content-Type': a.contentType ?? 'application/json' },
      }),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return sent;
}

const twoGroups = {
  columns: [
    { name: 'region', kind: 'group', type: 'string' },
    { name: 'day', kind: 'group', type: 'date' },
    { name: 'sum_amount', kind: 'measure', type: 'integer' },
  ],
  rows: [
    { region: 'East', day: '2023-01-03', sum_amount: 30 },
    { region: null, day: '2023-01-04', sum_amount: 20 },
  ],
  total_groups: 2,
  rows_scanned: 5,
  rows_matched: 3,
  row_groups: 1,
  row_groups_skipped: 0,
  elapsed_ms: 4,
  provenance,
};

function Harness({ initial }: { initial: ExploreSettings }) {
  const [settings, setSettings] = useState(initial);
  return (
    <ExplorePanel
      datasetId="ds_1"
      version={1}
      schema={schema}
      settings={settings}
      onChange={setSettings}
      filters={[{ column: 'region', op: 'ne', value: 'West' }]}
    />
  );
}

const initial: ExploreSettings = {
  groupBy: ['region'],
  time: null,
  measures: [{ agg: 'sum', column: 'amount' }],
  sort: null,
  limit: 100,
};

describe('Explore', () => {
  it('asks for the settings under the filters; shows matched and scanned rows, a chart and a table', async () => {
    const user = userEvent.setup();
    const sent = stubQuery(() => ({ body: twoGroups }));
    renderWithProviders(<Harness initial={initial} />);
    await user.selectOptions(await screen.findByLabelText('Then by'), 'day');
    const table = await screen.findByTestId('explore-table');
    expect(sent.at(-1)?.body).toEqual({
      filters: [{ column: 'region', op: 'ne', value: 'West' }],
      group_by: ['region', 'day'],
      measures: [{ agg: 'sum', column: 'amount' }],
      limit: 100,
    });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((th) => th.textContent),
    ).toEqual(['region', 'day', 'sum_amount']);
    expect(within(table).getAllByRole('row')[2]).toHaveTextContent('(empty)2023-01-0420');
    expect(screen.getByTestId('explore-stats')).toHaveTextContent(
      '3 rows match of 5 scanned · 2 groups · 4 ms',
    );
    expect(screen.getByTestId('explore-chart')).toHaveAttribute('data-kind', 'bar');
  });

  it("shows the API's field errors next to the choice they name", async () => {
    const user = userEvent.setup();
    stubQuery((body) =>
      body.measures?.[1]
        ? {
            status: 400,
            contentType: 'application/problem+json',
            body: {
              type: 'https://insightstream.dev/problems/invalid-request',
              title: 'The request is invalid',
              status: 400,
              detail: '/measures/1/agg: sum needs a numeric column; region is string',
              errors: [
                {
                  field: '/measures/1/agg',
                  message: 'sum needs a numeric column; region is string',
                },
              ],
            },
          }
        : { body: twoGroups },
    );
    renderWithProviders(
      <Harness
        initial={{ ...initial, measures: [{ agg: 'count' }, { agg: 'sum', column: 'region' }] }}
      />,
    );
    const second = await screen.findByLabelText('Measure 2');
    await waitFor(() => expect(second).toHaveAttribute('aria-invalid', 'true'));
    expect(second).toHaveAccessibleDescription('sum needs a numeric column; region is string');
    expect(screen.getByLabelText('Measure 1')).not.toHaveAttribute('aria-invalid');
    expect(screen.getByRole('alert')).toHaveTextContent(
      'The request is invalidSee the message next to the field it is about.',
    );
    // Removing the measure fixes it.
    await user.click(screen.getByRole('button', { name: /Remove measure 2/ }));
    expect(await screen.findByTestId('explore-table')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('downloads the same question as CSV (Accept: text/csv)', async () => {
    const user = userEvent.setup();
    const sent = stubQuery((_body, accept) =>
      accept === 'text/csv'
        ? { body: 'region,sum_amount\r\nEast,30\r\n', contentType: 'text/csv' }
        : { body: twoGroups },
    );
    const createObjectURL = vi.fn(() => 'blob:csv');
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const click = vi
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(() => undefined);
    renderWithProviders(<Harness initial={initial} />);
    await screen.findByTestId('explore-table');
    await user.click(screen.getByTestId('explore-csv'));
    await waitFor(() => expect(click).toHaveBeenCalled());
    const csv = sent.find((s) => s.accept === 'text/csv');
    expect(csv?.body).toEqual(sent[0]?.body);
    expect(createObjectURL).toHaveBeenCalled();
  });
});
