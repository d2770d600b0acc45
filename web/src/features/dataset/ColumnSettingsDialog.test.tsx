import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dataset, schema, sentBody } from '../../test/datasetFixtures';
import { renderWithProviders, stubFetch } from '../../test/renderWithProviders';
import { ColumnSettingsDialog } from './ColumnSettingsDialog';

afterEach(() => {
  vi.unstubAllGlobals();
});

const queued = { ...dataset, version: 2, status: 'queued' as const, reprocessed_from: 1 };

describe('ColumnSettingsDialog', () => {
  it('sends only the changed settings to /reprocess, then closes', async () => {
    const fetchMock = stubFetch({
      '/api/v1/datasets/ds_1/reprocess': { status: 202, body: queued },
    });
    const onClose = vi.fn();
    renderWithProviders(
      <ColumnSettingsDialog dataset={dataset} schema={schema} open onClose={onClose} />,
      { role: 'analyst' },
    );
    const submit = screen.getByRole('button', { name: 'Reprocess' });
    expect(submit).toBeDisabled();

    await userEvent.selectOptions(screen.getByLabelText('Day and month order of day'), 'dmy');
    // The separator already says day first: choosing it again changes nothing.
    await userEvent.selectOptions(screen.getByLabelText('Day and month order of shipped'), 'dmy');
    await userEvent.selectOptions(screen.getByLabelText('Decimal mark of amount'), 'comma');
    await userEvent.selectOptions(screen.getByLabelText('Role of region'), 'identifier');
    await userEvent.selectOptions(screen.getByLabelText('Type of price'), 'float');

    await userEvent.click(screen.getByRole('button', { name: 'Reprocess with 4 changes' }));
    await vi.waitFor(() => {
      expect(onClose).toHaveBeenCalledTimes(1);
    });
    const call = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(call[0]).toBe('/api/v1/datasets/ds_1/reprocess');
    expect(call[1].method).toBe('POST');
    expect(sentBody(fetchMock, '/reprocess')).toEqual({
      types: { day: 'date:dmy', amount: 'integer:comma', price: 'float' },
      roles: { region: 'identifier' },
    });
  });

  it('offers the day/month order only for dates and the decimal mark only for numbers', async () => {
    stubFetch({});
    renderWithProviders(
      <ColumnSettingsDialog dataset={dataset} schema={schema} open onClose={vi.fn()} />,
      { role: 'analyst' },
    );
    expect(screen.queryByLabelText('Decimal mark of day')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Day and month order of amount')).not.toBeInTheDocument();
    const order = screen.getByLabelText('Day and month order of day');
    expect(within(order).getByRole('option', { name: 'Detected (MM/DD · assumed)' })).toHaveValue(
      '',
    );
    // A text column turned into a date gets the order select.
    await userEvent.selectOptions(screen.getByLabelText('Type of region'), 'date');
    expect(screen.getByLabelText('Day and month order of region')).toBeInTheDocument();
  });

  it('shows the problem with its field errors and stays open', async () => {
    stubFetch({
      '/api/v1/datasets/ds_1/reprocess': {
        status: 400,
        contentType: 'application/problem+json',
        body: {
          type: 'https://insightstream.dev/problems/invalid-request',
          title: 'The request is invalid',
          status: 400,
          detail: "types: unknown column 'day'",
          request_id: 'req_7',
          errors: [{ field: 'types', message: "unknown column 'day'" }],
        },
      },
    });
    const onClose = vi.fn();
    renderWithProviders(
      <ColumnSettingsDialog dataset={dataset} schema={schema} open onClose={onClose} />,
      { role: 'analyst' },
    );
    await userEvent.selectOptions(screen.getByLabelText('Day and month order of day'), 'dmy');
    await userEvent.click(screen.getByRole('button', { name: 'Reprocess with 1 change' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The request is invalid');
    expect(alert).toHaveTextContent("unknown column 'day'");
    expect(alert).toHaveTextContent('req_7');
    expect(within(alert).getByText('types')).toBeInTheDocument();
    expect(onClose).not.toHaveBeenCalled();
  });

  it('waits while the latest version is still processing', async () => {
    const fetchMock = stubFetch({});
    renderWithProviders(
      <ColumnSettingsDialog dataset={queued} schema={schema} open onClose={vi.fn()} />,
      { role: 'analyst' },
    );
    expect(screen.getByRole('status')).toHaveTextContent('still being processed');
    await userEvent.selectOptions(screen.getByLabelText('Day and month order of day'), 'dmy');
    expect(screen.getByRole('button', { name: 'Reprocess with 1 change' })).toBeDisabled();
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
