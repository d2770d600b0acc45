// Explore's chart of a POST /query answer: bars for groups, lines over a time bucket, nothing
// for a single row of totals (the figures say it). Only the first numeric measure is drawn when
// there are groups; the table has every measure.

import type { QueryCell, QueryColumn, QueryResult } from '../../api/types';
import { CHART_COLORS, CHART_GRID, CHART_TEXT } from '../../components/chartTheme';
import type { ChartOption } from '../../components/EChart';
import { formatCompact, formatNumber } from '../../lib/format';
import { groupKey, numeric } from './queries';

export type ExploreChart = {
  kind: 'bar' | 'line';
  option: ChartOption;
  /** Series drawn (lines, or bars of a second group column). */
  series: number;
  /** Categories (bars) or periods (points per line). */
  categories: number;
  /** What is drawn, for the label. */
  measure: string;
  /** Some groups were left out of the chart (the table has them). */
  truncated: boolean;
};

const NUMERIC = new Set(['integer', 'decimal', 'float']);
const MAX_SERIES = 10;
const MAX_BARS = 50;

const axisLabel = { color: CHART_TEXT, fontSize: 11 };
const splitLine = { lineStyle: { color: CHART_GRID } };
const valueAxis = {
  type: 'value' as const,
  axisLabel: { ...axisLabel, formatter: (v: number) => formatCompact(v) },
  splitLine,
};

function label(cell: QueryCell | undefined): string {
  return groupKey(cell) ?? '(empty)';
}

function tooltip(params: unknown): string {
  const list = (Array.isArray(params) ? params : [params]) as {
    marker?: string;
    seriesName?: string;
    name?: string;
    value?: unknown;
    axisValueLabel?: string;
  }[];
  const escape = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  const head = list[0]?.axisValueLabel ?? list[0]?.name ?? '';
  const rows = list.map(
    (p) =>
      `${p.marker ?? ''}${escape(p.seriesName ?? '')}: <b>${escape(formatNumber(typeof p.value === 'number' ? p.value : null))}</b>`,
  );
  return [`<b>${escape(head)}</b>`, ...rows].join('<br/>');
}

/** The chart of an answer, or null when there is nothing to draw. */
export function exploreChart(result: QueryResult): ExploreChart | null {
  const groups = result.columns.filter((c) => c.kind === 'group');
  const period = result.columns.find((c) => c.kind === 'period');
  const measures = result.columns.filter((c) => c.kind === 'measure' && NUMERIC.has(c.type));
  const first = measures[0];
  if (!first || result.rows.length === 0) return null;
  if (period) return lineChart(result, groups, period, groups.length > 0 ? [first] : measures);
  if (groups.length > 0) return barChart(result, groups, first);
  return null;
}

function lineChart(
  result: QueryResult,
  groups: QueryColumn[],
  period: QueryColumn,
  measures: QueryColumn[],
): ExploreChart {
  const periods = [
    ...new Set(
      result.rows.map((r) => r[period.name]).filter((p): p is string => typeof p === 'string'),
    ),
  ].sort();
  const at = new Map(periods.map((p, i) => [p, i]));
  // One line per measure without groups; else one per group (the largest totals first).
  const lines = new Map<string, { name: string; values: (number | null)[]; total: number }>();
  for (const row of result.rows) {
    const p = row[period.name];
    const i = typeof p === 'string' ? at.get(p) : undefined;
    if (i === undefined) continue;
    const keys = groups.length > 0 ? [groups.map((g) => label(row[g.name])).join(' · ')] : null;
    measures.forEach((m) => {
      const name = keys ? (keys[0] ?? '') : m.name;
      let line = lines.get(name);
      if (!line) {
        line = { name, values: periods.map(() => null), total: 0 };
        lines.set(name, line);
      }
      const value = numeric(row[m.name]);
      line.values[i] = value;
      line.total += Math.abs(value ?? 0);
    });
  }
  const all = [...lines.values()];
  const shown =
    groups.length > 0 ? [...all].sort((a, b) => b.total - a.total).slice(0, MAX_SERIES) : all;
  const many = periods.length > 40;
  return {
    kind: 'line',
    series: shown.length,
    categories: periods.length,
    measure:
      measures.length === 1 ? (measures[0]?.name ?? '') : measures.map((m) => m.name).join(', '),
    truncated: shown.length < all.length,
    option: {
      animationDuration: 300,
      color: CHART_COLORS,
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      legend: { type: 'scroll', top: 0, left: 0, right: 0, textStyle: { color: CHART_TEXT } },
      tooltip: { trigger: 'axis', formatter: tooltip },
      xAxis: {
        type: 'category',
        data: periods,
        axisLabel,
        axisLine: { lineStyle: { color: CHART_GRID } },
        axisTick: { show: false },
      },
      yAxis: valueAxis,
      series: shown.map((line) => ({
        name: line.name,
        type: 'line' as const,
        data: line.values,
        showSymbol: !many,
        symbolSize: 5,
        connectNulls: false,
      })),
    },
  };
}

function barChart(result: QueryResult, groups: QueryColumn[], measure: QueryColumn): ExploreChart {
  const [outer, inner] = groups;
  if (!outer) throw new Error('no group column');
  if (!inner) {
    const rows = result.rows.slice(0, MAX_BARS);
    // Horizontal bars read top-down: the first row (the largest, by default) on top.
    const ordered = [...rows].reverse();
    return {
      kind: 'bar',
      series: 1,
      categories: rows.length,
      measure: measure.name,
      truncated: rows.length < result.rows.length,
      option: {
        animationDuration: 300,
        grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: tooltip },
        xAxis: valueAxis,
        yAxis: {
          type: 'category',
          data: ordered.map((r) => label(r[outer.name])),
          axisLabel: { ...axisLabel, width: 140, overflow: 'truncate' },
          axisTick: { show: false },
          axisLine: { lineStyle: { color: CHART_GRID } },
        },
        series: [
          {
            name: measure.name,
            type: 'bar',
            data: ordered.map((r) => numeric(r[measure.name])),
            itemStyle: { color: CHART_COLORS[0], borderRadius: [0, 3, 3, 0] },
            barMaxWidth: 26,
          },
        ],
      },
    };
  }
  // Two group columns: the first along the axis, the second as grouped bars.
  const categories: string[] = [];
  const seriesNames: string[] = [];
  const cells = new Map<string, number | null>();
  for (const row of result.rows) {
    const a = label(row[outer.name]);
    const b = label(row[inner.name]);
    if (!categories.includes(a)) {
      if (categories.length >= MAX_BARS) continue;
      categories.push(a);
    }
    if (!seriesNames.includes(b)) {
      if (seriesNames.length >= MAX_SERIES) continue;
      seriesNames.push(b);
    }
    cells.set(`${a}\u0000${b}`, numeric(row[measure.name]));
  }
  return {
    kind: 'bar',
    series: seriesNames.length,
    categories: categories.length,
    measure: measure.name,
    truncated: cells.size < result.rows.length,
    option: {
      animationDuration: 300,
      color: CHART_COLORS,
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      legend: { type: 'scroll', top: 0, left: 0, right: 0, textStyle: { color: CHART_TEXT } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: tooltip },
      xAxis: {
        type: 'category',
        data: categories,
        axisLabel: { ...axisLabel, interval: 0, width: 90, overflow: 'truncate' },
        axisTick: { show: false },
        axisLine: { lineStyle: { color: CHART_GRID } },
      },
      yAxis: valueAxis,
      series: seriesNames.map((name) => ({
        name,
        type: 'bar' as const,
        data: categories.map((c) => cells.get(`${c}\u0000${name}`) ?? null),
        barMaxWidth: 28,
      })),
    },
  };
}
