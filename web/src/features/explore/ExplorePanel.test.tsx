import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { QueryRequest, VersionSnapshot } from '../../api/types';
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

type Answer = {
  status?: number;
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
};

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
        headers: { 'Content-Type': a.contentType ?? 'application/json', ...a.headers },
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

const snapshotPending: Answer = {
  status: 409,
  contentType: 'application/problem+json',
  headers: { 'Retry-After': '1' },
  body: {
    type: 'https://insightstream.dev/problems/snapshot-pending',
    title: 'The snapshot is being written',
    status: 409,
  },
};

function Harness({
  initial,
  snapshot,
}: {
  initial: ExploreSettings;
  snapshot?: VersionSnapshot | null;
}) {
  const [settings, setSettings] = useState(initial);
  return (
    <ExplorePanel
      datasetId="ds_1"
      version={1}
      schema={schema}
      settings={settings}
      onChange={setSettings}
      filters={[{ column: 'region', op: 'ne', value: 'West' }]}
      snapshot={snapshot}
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

/** Saving a file without a browser download: the object URL and the anchor's click, recorded. */
function stubDownloads() {
  const createObjectURL = vi.fn(() => 'blob:csv');
  vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
  const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
  return { createObjectURL, click };
}

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
    const { createObjectURL, click } = stubDownloads();
    renderWithProviders(<Harness initial={initial} />);
    await screen.findByTestId('explore-table');
    await user.click(screen.getByTestId('explore-csv'));
    await waitFor(() => expect(click).toHaveBeenCalled());
    const csv = sent.find((s) => s.accept === 'text/csv');
    expect(csv?.body).toEqual(sent[0]?.body);
    expect(createObjectURL).toHaveBeenCalled();
  });

  it('says the query is being prepared while the snapshot is written, then answers by itself', async () => {
    const sent = stubQuery(() => (sent.length === 1 ? snapshotPending : { body: twoGroups }));
    renderWithProviders(<Harness initial={initial} />);
    expect(await screen.findByTestId('snapshot-pending')).toHaveTextContent(
      'Preparing the query… (the snapshot is being written)',
    );
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    const table = await screen.findByTestId('explore-table', {}, { timeout: 4000 });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(screen.queryByTestId('snapshot-pending')).not.toBeInTheDocument();
    expect(sent).toHaveLength(2);
    expect(sent[1]?.body).toEqual(sent[0]?.body);
  });

  it('a CSV download asked while the snapshot is written waits for it, then saves the file', async () => {
    const user = userEvent.setup();
    let csvAsked = 0;
    const sent = stubQuery((_body, accept) => {
      if (accept !== 'text/csv') return { body: twoGroups };
      csvAsked++;
      return csvAsked === 1
        ? snapshotPending
        : { body: 'region,sum_amount\r\nEast,30\r\n', contentType: 'text/csv' };
    });
    const { click } = stubDownloads();
    renderWithProviders(<Harness initial={initial} />);
    await screen.findByTestId('explore-table');
    await user.click(screen.getByTestId('explore-csv'));
    expect(await screen.findByTestId('download-preparing')).toHaveTextContent(
      'Preparing the file… (the snapshot is being written)',
    );
    expect(screen.getByTestId('explore-csv')).toBeDisabled();
    expect(click).not.toHaveBeenCalled();
    await waitFor(() => expect(click).toHaveBeenCalledTimes(1), { timeout: 4000 });
    expect(sent.filter((s) => s.accept === 'text/csv')).toHaveLength(2);
    expect(screen.queryByTestId('download-preparing')).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('the Parquet export waits while the snapshot is written and says why it is unavailable', async () => {
    const user = userEvent.setup();
    stubQuery(() => ({ body: twoGroups }));
    const states: Record<string, VersionSnapshot> = {
      writing: { status: 'writing', error: null },
      failed: { status: 'failed', error: 'disk full' },
      ready: { status: 'ready', error: null },
    };
    // The dataset page passes the latest version's snapshot as the polled dataset changes.
    function Switching() {
      const [snapshot, setSnapshot] = useState<VersionSnapshot>(states.writing!);
      return (
        <>
          {Object.keys(states).map((name) => (
            <button key={name} type="button" onClick={() => setSnapshot(states[name]!)}>
              {`snapshot ${name}`}
            </button>
          ))}
          <Harness initial={initial} snapshot={snapshot} />
        </>
      );
    }
    renderWithProviders(<Switching />);
    await screen.findByTestId('explore-table');
    expect(screen.getByTestId('export-parquet')).toBeDisabled();
    expect(screen.getByTestId('export-note')).toHaveTextContent(
      'The Parquet export is available once the snapshot is written',
    );
    await user.click(screen.getByRole('button', { name: 'snapshot failed' }));
    expect(screen.getByTestId('export-parquet')).toBeDisabled();
    expect(screen.getByTestId('export-note')).toHaveTextContent(
      'the snapshot could not be written (disk full)',
    );
    await user.click(screen.getByRole('button', { name: 'snapshot ready' }));
    expect(screen.getByTestId('export-parquet')).toBeEnabled();
    expect(screen.queryByTestId('export-note')).not.toBeInTheDocument();
  });
});
