import { BarChart, LineChart, type BarSeriesOption, type LineSeriesOption } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  type AriaComponentOption,
  type GridComponentOption,
  type LegendComponentOption,
  type MarkLineComponentOption,
  type TooltipComponentOption,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([
  BarChart,
  LineChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  MarkLineComponent,
  AriaComponent,
  SVGRenderer,
]);

export type ChartOption = echarts.ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | LegendComponentOption
  | MarkLineComponentOption
  | AriaComponentOption
>;

/** What a click on a chart hit: the data item's index in its series, and the series. */
export type ChartClick = {
  componentType: string;
  seriesIndex?: number;
  seriesName?: string;
  dataIndex: number;
  name?: string;
  /** An axis label's text (componentType "xAxis"/"yAxis", with triggerEvent). */
  value?: unknown;
};

type EChartProps = {
  option: ChartOption;
  /** Called with the item clicked (a bar, a point, a series' area). */
  onItemClick?: ((item: ChartClick) => void) | undefined;
  /** What the chart shows, for screen readers (the table view carries the numbers). */
  label: string;
  height?: number;
  testId?: string;
  /** Extra data-* attributes, e.g. { points: 24 } → data-points="24". */
  data?: Record<string, string | number>;
};

/** An ECharts instance bound to a div: created once, updated with the option, resized with its box. */
export function EChart({ option, onItemClick, label, height = 300, testId, data }: EChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const clickHandler = useRef(onItemClick);

  useEffect(() => {
    clickHandler.current = onItemClick;
  }, [onItemClick]);

  useEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    const instance = echarts.init(element, undefined, { renderer: 'svg' });
    chart.current = instance;
    instance.on('click', (params) => {
      clickHandler.current?.(params);
    });
    const observer =
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver(() => {
            instance.resize();
          });
    observer?.observe(element);
    return () => {
      observer?.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true, lazyUpdate: false });
  }, [option]);

  const dataAttributes: Record<string, string | number> = {};
  if (data) for (const [key, value] of Object.entries(data)) dataAttributes[`data-${key}`] = value;

  return (
    <div
      ref={ref}
      className="chart"
      style={{ height }}
      role="img"
      aria-label={label}
      data-testid={testId}
      {...dataAttributes}
    />
  );
}
