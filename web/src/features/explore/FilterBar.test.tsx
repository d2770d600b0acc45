import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { useLocation } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import type { Summary } from '../../api/types';
import { schema, summary as baseSummary } from '../../test/datasetFixtures';
import { renderWithProviders } from '../../test/renderWithProviders';
import { DrillBreadcrumb } from './DrillBreadcrumb';
import { FilterBar, type FilterErrors } from './FilterBar';
import { NO_FILTERS, type FilterState } from './filters';
import { useFilterState } from './useViewState';

const summary: Summary = {
  ...baseSummary,
  columns: baseSummary.columns.map((c) =>
    c.name === 'region'
      ? {
          ...c,
          top: [
            { value: 'East', count: 3 },
            { value: 'West', count: 2 },
            { value: null, count: 1 },
          ],
        }
      : c,
  ),
};

const noErrors: FilterErrors = { chips: new Map(), drill: new Map(), range: undefined };

function renderBar(state: FilterState = NO_FILTERS, errors: FilterErrors = noErrors) {
  const onChange = vi.fn();
  renderWithProviders(
    <FilterBar
      schema={schema}
      summary={summary}
      state={state}
      onChange={onChange}
      errors={errors}
    />,
  );
  return onChange;
}

describe('the filter bar', () => {
  it('adds a chip: a column, a condition for its type and a value from its top values', async () => {
    const user = userEvent.setup();
    const onChange = renderBar();
    const add = screen.getByRole('button', { name: '+ Add filter' });
    expect(add).toHaveAttribute('aria-expanded', 'false');
    await user.click(add);
    expect(add).toHaveAttribute('aria-expanded', 'true');
    const form = screen.getByRole('form', { name: 'Add a filter' });
    // Dimensions first: region, with its most frequent values as suggestions.
    expect(within(form).getByLabelText('Column')).toHaveValue('region');
    const options = [...form.querySelectorAll('datalist option')].map((o) =>
      o.getAttribute('value'),
    );
    expect(options).toEqual(['East', 'West']);
    // Nothing is sent without a value.
    await user.click(within(form).getByRole('button', { name: 'Add filter' }));
    expect(within(form).getByRole('alert')).toHaveTextContent('Enter a value');
    expect(within(form).getByLabelText('Value')).toHaveAttribute('aria-invalid', 'true');
    expect(onChange).not.toHaveBeenCalled();
    await user.type(within(form).getByLabelText('Value'), 'East');
    await user.click(within(form).getByRole('button', { name: 'Add filter' }));
    expect(onChange).toHaveBeenCalledWith({
      ...NO_FILTERS,
      filters: [{ column: 'region', op: 'eq', values: ['East'] }],
    });
  });

  it('offers the conditions of the column type; "is one of" lists the top values to tick', async () => {
    const user = userEvent.setup();
    const onChange = renderBar();
    await user.click(screen.getByRole('button', { name: '+ Add filter' }));
    const form = screen.getByRole('form', { name: 'Add a filter' });
    const ops = () =>
      [...within(form).getByLabelText('Condition').querySelectorAll('option')].map((o) => o.value);
    expect(ops()).toContain('contains');
    await user.selectOptions(within(form).getByLabelText('Column'), 'amount');
    expect(ops()).not.toContain('contains');
    expect(ops()).toContain('between');
    await user.selectOptions(within(form).getByLabelText('Column'), 'region');
    await user.selectOptions(within(form).getByLabelText('Condition'), 'in');
    await user.click(within(form).getByRole('checkbox', { name: 'West' }));
    await user.type(within(form).getByLabelText(/Other values/), 'North, South');
    await user.click(within(form).getByRole('button', { name: 'Add filter' }));
    expect(onChange).toHaveBeenCalledWith({
      ...NO_FILTERS,
      filters: [{ column: 'region', op: 'in', values: ['West', 'North', 'South'] }],
    });
  });

  it('removes a chip with its × button, reached with the keyboard', async () => {
    const user = userEvent.setup();
    const state: FilterState = {
      ...NO_FILTERS,
      filters: [
        { column: 'region', op: 'eq', values: ['East'] },
        { column: 'amount', op: 'gt', values: ['10'] },
      ],
    };
    const onChange = renderBar(state);
    const chips = screen.getByRole('list', { name: 'Active filters' });
    expect(
      within(chips)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['region = East×', 'amount > 10×']);
    const remove = screen.getByRole('button', { name: 'Remove filter amount > 10' });
    await user.tab();
    await user.tab();
    expect(remove).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(onChange).toHaveBeenCalledWith({ ...state, filters: [state.filters[0]] });
  });

  it("shows the API's message next to the chip it is about", () => {
    const state: FilterState = {
      ...NO_FILTERS,
      filters: [{ column: 'amount', op: 'gt', values: ['abc'] }],
      range: { from: '2023-02-01' },
    };
    renderBar(state, {
      chips: new Map([[0, 'must be a number (column amount is numeric)']]),
      drill: new Map(),
      range: undefined,
    });
    const chip = screen.getByTestId('filter-chip');
    expect(chip).toHaveClass('chip--invalid');
    const remove = within(chip).getByRole('button');
    expect(remove).toHaveAccessibleDescription(
      'amount > abc: must be a number (column amount is numeric)',
    );
    // The date range works on the primary time column, within its days.
    expect(screen.getByLabelText('day from')).toHaveValue('2023-02-01');
    expect(screen.getByLabelText('day from')).toHaveAttribute('min', '2023-01-03');
    expect(screen.getByLabelText('to')).toHaveAttribute('max', '2023-05-06');
  });
});

function StatefulBar({ initial }: { initial: FilterState }) {
  const [state, setState] = useState(initial);
  return (
    <FilterBar
      schema={schema}
      summary={summary}
      state={state}
      onChange={setState}
      errors={noErrors}
    />
  );
}

describe('focus in the filter bar', () => {
  it('moves to the next chip when one goes, and back to "Add filter" when the form closes', async () => {
    const user = userEvent.setup();
    renderWithProviders(
      <StatefulBar
        initial={{
          ...NO_FILTERS,
          filters: [
            { column: 'region', op: 'eq', values: ['East'] },
            { column: 'amount', op: 'gt', values: ['10'] },
          ],
        }}
      />,
    );
    await user.click(screen.getByRole('button', { name: 'Remove filter region = East' }));
    expect(screen.getByRole('button', { name: 'Remove filter amount > 10' })).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(screen.queryByTestId('filter-chip')).not.toBeInTheDocument();
    const add = screen.getByRole('button', { name: '+ Add filter' });
    expect(add).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(screen.getByLabelText('Column')).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(add).toHaveFocus();
  });
});

/** The breadcrumb with the real URL state, and where the URL is. */
function DrillFromUrl() {
  const [state, setState] = useFilterState();
  const location = useLocation();
  return (
    <>
      <DrillBreadcrumb state={state} onChange={setState} errors={new Map()} />
      <output data-testid="location">{location.search}</output>
    </>
  );
}

describe('the drill-down path', () => {
  it('reads the steps from the URL and goes back to any earlier one', async () => {
    const user = userEvent.setup();
    renderWithProviders(<DrillFromUrl />, {
      path: '/datasets/ds_1?g.by=channel&d=region%3Aeq%3AEast&d=channel%3Ais_null',
    });
    const path = screen.getByRole('navigation', { name: 'Drill-down path' });
    const steps = within(path).getAllByTestId('drill-step');
    expect(steps.map((s) => s.textContent)).toEqual([
      'All rows',
      'region = East',
      'channel is empty',
    ]);
    expect(steps[2]).toHaveAttribute('aria-current', 'step');
    expect(steps[2]?.tagName).toBe('SPAN');
    await user.click(within(path).getByRole('button', { name: 'region = East' }));
    expect(screen.getByTestId('location')).toHaveTextContent('?g.by=channel&d=region%3Aeq%3AEast');
    await user.click(within(path).getByRole('button', { name: 'All rows' }));
    expect(screen.getByTestId('location')).toHaveTextContent(/^\?g\.by=channel$/);
    expect(screen.queryByRole('navigation', { name: 'Drill-down path' })).not.toBeInTheDocument();
  });
});
