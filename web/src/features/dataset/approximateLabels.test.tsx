import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Breakdown, Groups } from '../../api/types';
import { schema, summary } from '../../test/datasetFixtures';
import { renderWithProviders, stubFetch } from '../../test/renderWithProviders';
import { breakdownOption } from './chartOptions';
import { GroupsPanel } from './GroupsPanel';
import { KpiCards } from './KpiCards';
import { SchemaPanel } from './SchemaPanel';
import { TrendPanel } from './TrendPanel';

// ECharts needs a layout jsdom has not; the charts' numbers are checked through their options.
vi.mock('../../components/EChart', () => ({
  EChart: ({ testId }: { testId?: string }) => <div data-testid={testId} />,
}));

afterEach(() => {
  vi.unstubAllGlobals();
});

const provenance = schema.provenance;

describe('withheld and approximate values', () => {
  it('a withheld KPI shows — and the reason with the total per currency, never a number', () => {
    renderWithProviders(<KpiCards summary={summary} />);
    const card = screen.getByTestId('kpi-total');
    expect(screen.getByTestId('kpi-total-value')).toHaveTextContent('—');
    expect(card).toHaveAttribute('data-value', '');
    const withheld = within(card).getByTestId('kpi-total-withheld');
    expect(withheld).toHaveTextContent('withheld: mixed currencies');
    const sums = within(withheld).getByRole('list', { name: 'Total per currency' });
    expect(
      within(sums)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['€9.50 EUR · 3 values', '$6.00 USD · 2 values']);
  });

  it('the columns show withheld sums, estimated distinct counts and how dates were read', () => {
    renderWithProviders(
      <SchemaPanel datasetId="ds_1" version={1} schema={schema} summary={summary} />,
    );
    const row = (name: string) =>
      screen.getByTestId('schema-table').querySelector<HTMLElement>(`tr[data-column="${name}"]`)!;
    expect(within(row('price')).getByTestId('withheld')).toHaveTextContent(
      'withheld: mixed currencies€9.50 EUR · 3 values$6.00 USD · 2 values',
    );
    expect(within(row('amount')).queryByTestId('withheld')).not.toBeInTheDocument();
    expect(row('amount')).toHaveTextContent('150');
    expect(within(row('region')).getByTestId('distinct')).toHaveTextContent('≈ about 1,234,567');
    expect(within(row('amount')).getByTestId('distinct')).toHaveTextContent(/^5$/);
    expect(within(row('day')).getByTestId('read-as')).toHaveTextContent('MM/DD · assumed');
    expect(within(row('shipped')).getByTestId('read-as')).toHaveTextContent(
      'DD/MM · from separator',
    );
    expect(within(row('price')).getByTestId('read-as')).toHaveTextContent('decimal comma');
    // Viewers get no settings button.
    expect(screen.queryByRole('button', { name: /column settings/i })).not.toBeInTheDocument();
  });

  it('says the number of groups is estimated when the dimension is capped', async () => {
    const groups: Groups = {
      dimension: 'region',
      measure: 'amount',
      agg: 'sum',
      groups: [{ key: 'North', value: 40, count: 2, share: 0.5 }],
      other: { value: 40, count: 3, share: 0.5 },
      total: 80,
      group_count: 1_500_000,
      capped: true,
      provenance,
    };
    stubFetch({ '/api/v1/datasets/ds_1/groups': { body: groups } });
    renderWithProviders(<GroupsPanel datasetId="ds_1" version={1} schema={schema} />);
    expect(await screen.findByTestId('groups-capped')).toHaveTextContent(
      'the number of groups is estimated',
    );
    expect(screen.getByTestId('groups-panel')).toHaveTextContent('≈ about 1,500,000 groups');
  });

  it('the breakdown stacks the rows outside the top series as "Other"', () => {
    const breakdown: Breakdown = {
      periods: ['2023-01', '2023-02'],
      series: [
        { key: 'West', values: [0, 50] },
        { key: 'North', values: [10, 0] },
      ],
      other: { values: [20, 40] },
      provenance,
    };
    const series = breakdownOption(breakdown, 'bar').series as {
      name: string;
      stack: string;
      data: number[];
    }[];
    expect(series.map((s) => s.name)).toEqual(['West', 'North', 'Other']);
    expect(series[2]).toMatchObject({ stack: 'total', data: [20, 40] });
    const none = breakdownOption({ ...breakdown, other: null }, 'area').series as unknown[];
    expect(none).toHaveLength(2);
  });

  it('a measure mixing currencies explains itself and offers a count of rows', async () => {
    const fetchMock = stubFetch({
      '/api/v1/datasets/ds_1/timeseries': {
        status: 400,
        contentType: 'application/problem+json',
        body: {
          type: 'https://insightstream.dev/problems/mixed-currencies',
          title: 'The request is invalid',
          status: 400,
          detail: "'price' holds amounts in more than one currency",
          request_id: 'req_3',
        },
      },
    });
    // Only the mixed-currency measure: the panel starts with a count, the user picks a sum.
    const onlyPrice = {
      ...schema,
      main_measure: 'price',
      columns: schema.columns.filter((c) => c.name !== 'amount'),
    };
    renderWithProviders(<TrendPanel datasetId="ds_1" version={1} schema={onlyPrice} />);
    expect(screen.getByTestId('trend-agg')).toHaveValue('count');
    await userEvent.selectOptions(screen.getByTestId('trend-agg'), 'sum');
    expect(screen.getByTestId('trend-measure')).toHaveValue('price');
    expect(
      within(screen.getByTestId('trend-measure')).getByRole('option', {
        name: 'price (mixed currencies)',
      }),
    ).toBeInTheDocument();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('more than one currency');
    expect(within(alert).queryByRole('button', { name: 'Try again' })).not.toBeInTheDocument();
    await userEvent.click(within(alert).getByRole('button', { name: 'Count rows instead' }));
    expect(screen.getByTestId('trend-agg')).toHaveValue('count');
    await vi.waitFor(() => {
      const last = fetchMock.mock.calls.at(-1) as unknown as [string];
      expect(last[0]).toContain('agg=count');
    });
  });
});
