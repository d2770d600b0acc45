import type { Breakdown, Groups, TimeSeries } from '../../api/types';
import {
  CHART_COLORS,
  CHART_GRID,
  CHART_TEXT,
  NEGATIVE,
  POSITIVE,
} from '../../components/chartTheme';
import type { ChartOption } from '../../components/EChart';
import { formatCompact, formatNumber, formatPercent } from '../../lib/format';

const OTHER_COLOR = '#94a3b8';

const axisLabel = { color: CHART_TEXT, fontSize: 11 };
const splitLine = { lineStyle: { color: CHART_GRID } };

/** The category axis of periods under the trend, growth and breakdown charts. */
function periodAxis(periods: string[]) {
  return {
    type: 'category' as const,
    data: periods,
    axisLabel,
    axisLine: { lineStyle: { color: CHART_GRID } },
    axisTick: { show: false },
  };
}

function baseGrid(compact: boolean) {
  return { left: 8, right: 16, top: compact ? 16 : 28, bottom: 8, containLabel: true };
}

type TooltipParam = {
  marker?: string;
  seriesName?: string;
  name?: string;
  value?: unknown;
  axisValueLabel?: string;
};

function asParams(params: unknown): TooltipParam[] {
  return (Array.isArray(params) ? params : [params]) as TooltipParam[];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function valueTooltip(format: (value: number | null) => string) {
  return (params: unknown): string => {
    const list = asParams(params);
    const head = list[0]?.axisValueLabel ?? list[0]?.name ?? '';
    const rows = list.map((p) => {
      const value = typeof p.value === 'number' ? p.value : null;
      return `${p.marker ?? ''}${escapeHtml(p.seriesName ?? '')}: <b>${escapeHtml(format(value))}</b>`;
    });
    return [`<b>${escapeHtml(head)}</b>`, ...rows].join('<br/>');
  };
}

export function trendOption(series: TimeSeries, label: string, compareYoy: boolean): ChartOption {
  const periods = series.points.map((p) => p.period);
  const many = periods.length > 40;
  const chartSeries: NonNullable<ChartOption['series']> = [
    {
      name: label,
      type: 'line',
      data: series.points.map((p) => p.value),
      showSymbol: !many,
      symbolSize: 6,
      smooth: false,
      lineStyle: { width: 2.5, color: CHART_COLORS[0] },
      itemStyle: { color: CHART_COLORS[0] },
      areaStyle: { color: 'rgba(79, 70, 229, 0.10)' },
    },
  ];
  if (compareYoy) {
    chartSeries.push({
      name: 'Previous year',
      type: 'line',
      data: series.points.map((p) => p.previous ?? null),
      showSymbol: false,
      lineStyle: { width: 1.5, type: 'dashed', color: '#94a3b8' },
      itemStyle: { color: '#94a3b8' },
    });
  }
  return {
    animationDuration: 300,
    grid: baseGrid(!compareYoy),
    legend: compareYoy ? { top: 0, right: 0, textStyle: { color: CHART_TEXT } } : undefined,
    tooltip: { trigger: 'axis', formatter: valueTooltip((v) => formatNumber(v)) },
    xAxis: periodAxis(periods),
    yAxis: {
      type: 'value',
      axisLabel: { ...axisLabel, formatter: (v: number) => formatCompact(v) },
      splitLine,
    },
    series: chartSeries,
  };
}

export function growthOption(series: TimeSeries): ChartOption {
  const periods = series.points.map((p) => p.period);
  return {
    animationDuration: 300,
    grid: baseGrid(true),
    tooltip: { trigger: 'axis', formatter: valueTooltip((v) => formatPercent(v)) },
    xAxis: periodAxis(periods),
    yAxis: {
      type: 'value',
      axisLabel: { ...axisLabel, formatter: (v: number) => formatPercent(v, { upToDigits: 2 }) },
      splitLine,
    },
    series: [
      {
        name: 'Growth',
        type: 'bar',
        data: series.points.map((p) => ({
          value: p.growth,
          itemStyle: { color: (p.growth ?? 0) >= 0 ? POSITIVE : NEGATIVE, borderRadius: 2 },
        })),
        barMaxWidth: 28,
      },
    ],
  };
}

/** One bar of the groups chart: a group (null key: the rows without a value) or "Other". */
export type GroupBar = { key: string | null; label: string; value: number | null; other: boolean };

/** The bars of the groups chart in drawing order (bottom-up, so the biggest reads first). */
export function groupBars(groups: Groups, showOther: boolean): GroupBar[] {
  const rows: GroupBar[] = groups.groups.map((g) => ({
    key: g.key,
    label: g.key ?? '(empty)',
    value: g.value,
    other: false,
  }));
  if (showOther && groups.other.count > 0)
    rows.push({ key: null, label: 'Other', value: groups.other.value, other: true });
  // Horizontal bars read top-down: the biggest first.
  return rows.reverse();
}

export function groupsOption(groups: Groups, label: string, showOther: boolean): ChartOption {
  const ordered = groupBars(groups, showOther);
  return {
    animationDuration: 300,
    grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: valueTooltip((v) => formatNumber(v)),
    },
    xAxis: {
      type: 'value',
      axisLabel: { ...axisLabel, formatter: (v: number) => formatCompact(v) },
      splitLine,
    },
    yAxis: {
      type: 'category',
      data: ordered.map((r) => r.label),
      // A click on a group's name drills down like a click on its bar.
      triggerEvent: true,
      axisLabel: { ...axisLabel, width: 120, overflow: 'truncate' },
      axisTick: { show: false },
      axisLine: { lineStyle: { color: CHART_GRID } },
    },
    series: [
      {
        name: label,
        type: 'bar',
        data: ordered.map((r) => ({
          value: r.value,
          itemStyle: { color: r.other ? OTHER_COLOR : CHART_COLORS[0], borderRadius: [0, 3, 3, 0] },
        })),
        barMaxWidth: 26,
        label: {
          show: true,
          position: 'right',
          color: CHART_TEXT,
          fontSize: 11,
          formatter: (p: { value?: unknown }) =>
            formatCompact(typeof p.value === 'number' ? p.value : null),
        },
      },
    ],
  };
}

/**
 * The "Other" series of a breakdown (every row of a period outside the series shown), or null
 * when there is none or it is empty in every period.
 */
export function otherValues(breakdown: Breakdown): (number | null)[] | null {
  const values = breakdown.other?.values;
  if (!values?.some((v) => v !== null && v !== 0)) return null;
  return values;
}

export function breakdownOption(breakdown: Breakdown, stacked: 'bar' | 'area'): ChartOption {
  const series: { name: string; values: (number | null)[]; other: boolean }[] =
    breakdown.series.map((s) => ({ name: s.key ?? '(empty)', values: s.values, other: false }));
  const other = otherValues(breakdown);
  // Stacked on top of the rest, so every bar is the period's whole total.
  if (other) series.push({ name: 'Other', values: other, other: true });
  return {
    animationDuration: 300,
    color: CHART_COLORS,
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    legend: { type: 'scroll', top: 0, left: 0, right: 0, textStyle: { color: CHART_TEXT } },
    tooltip: { trigger: 'axis', formatter: valueTooltip((v) => formatNumber(v)) },
    xAxis: { ...periodAxis(breakdown.periods), boundaryGap: stacked === 'bar' },
    yAxis: {
      type: 'value',
      axisLabel: { ...axisLabel, formatter: (v: number) => formatCompact(v) },
      splitLine,
    },
    series: series.map((s) => {
      const color = s.other ? { itemStyle: { color: OTHER_COLOR } } : {};
      return stacked === 'bar'
        ? {
            name: s.name,
            type: 'bar' as const,
            stack: 'total',
            data: s.values,
            barMaxWidth: 40,
            ...color,
          }
        : {
            name: s.name,
            type: 'line' as const,
            stack: 'total',
            data: s.values,
            areaStyle: s.other ? { color: OTHER_COLOR } : {},
            showSymbol: false,
            ...color,
          };
    }),
  };
}
