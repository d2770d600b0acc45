import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Schema } from '../../api/types';
import { dataset, schema, sentBody } from '../../test/datasetFixtures';
import { renderWithProviders, stubFetch } from '../../test/renderWithProviders';
import { DateOrderPrompt } from './DateOrderPrompt';

afterEach(() => {
  vi.unstubAllGlobals();
});

const queued = { ...dataset, version: 2, status: 'queued' as const, reprocessed_from: 1 };

/** The fixture schema with the day column's order decided by a hint. */
const confirmed: Schema = {
  ...schema,
  columns: schema.columns.map((c) =>
    c.name === 'day'
      ? { ...c, date_order: 'DMY', date_order_source: 'hint', format: 'DD/MM/YYYY', hinted: true }
      : c,
  ),
};

describe('DateOrderPrompt', () => {
  it('asks about an assumed order and reprocesses with the day-first hint', async () => {
    const fetchMock = stubFetch({
      '/api/v1/datasets/ds_1/reprocess': { status: 202, body: queued },
    });
    renderWithProviders(<DateOrderPrompt dataset={dataset} schema={schema} editor />, {
      role: 'analyst',
    });
    const prompt = screen.getByTestId('date-order-prompt');
    expect(prompt).toHaveTextContent(
      'Dates in day were read month first (MM/DD/YYYY): nothing in the file tells.',
    );
    // The separator decided "shipped": no question about it.
    expect(screen.getAllByTestId('date-order-prompt')).toHaveLength(1);
    await userEvent.click(screen.getByRole('button', { name: 'Read day first' }));
    await vi.waitFor(() => {
      expect(fetchMock).toHaveBeenCalled();
    });
    expect(sentBody(fetchMock, '/reprocess')).toEqual({ types: { day: 'date:dmy' } });
  });

  it('keeps month first with an explicit hint', async () => {
    const fetchMock = stubFetch({
      '/api/v1/datasets/ds_1/reprocess': { status: 202, body: queued },
    });
    renderWithProviders(<DateOrderPrompt dataset={dataset} schema={schema} editor />);
    await userEvent.click(screen.getByRole('button', { name: 'Keep month first' }));
    await vi.waitFor(() => {
      expect(fetchMock).toHaveBeenCalled();
    });
    expect(sentBody(fetchMock, '/reprocess')).toEqual({ types: { day: 'date:mdy' } });
  });

  it('is gone once the order comes from a hint', () => {
    renderWithProviders(<DateOrderPrompt dataset={dataset} schema={confirmed} editor />);
    expect(screen.queryByTestId('date-order-prompt')).not.toBeInTheDocument();
  });

  it('waits while the answer is being processed', () => {
    renderWithProviders(<DateOrderPrompt dataset={queued} schema={schema} editor />);
    expect(screen.queryByTestId('date-order-prompt')).not.toBeInTheDocument();
  });

  it('tells viewers without offering to reprocess', () => {
    renderWithProviders(<DateOrderPrompt dataset={dataset} schema={schema} editor={false} />, {
      role: 'viewer',
    });
    expect(screen.getByTestId('date-order-prompt')).toHaveTextContent('read month first');
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });

  it('reads the version on screen again when a newer one failed', async () => {
    const fetchMock = stubFetch({
      '/api/v1/datasets/ds_1/reprocess': { status: 202, body: queued },
    });
    const failed = { ...dataset, version: 2, status: 'failed' as const, error: 'too many' };
    renderWithProviders(<DateOrderPrompt dataset={failed} schema={schema} editor />);
    await userEvent.click(screen.getByRole('button', { name: 'Read day first' }));
    await vi.waitFor(() => {
      expect(fetchMock).toHaveBeenCalled();
    });
    expect(sentBody(fetchMock, '/reprocess')).toEqual({ types: { day: 'date:dmy' }, version: 1 });
  });
});
