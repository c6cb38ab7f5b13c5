/**
 * The dashboard's charts: Apache ECharts, tree-shaken (the core, bar and line charts, the
 * components used, the SVG renderer). The dashboard imports this module dynamically, so the
 * console's first load never carries it (scripts/build-web.mjs splits it into a chunk).
 */
import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { type EChartsCoreOption, init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, LineChart, AriaComponent, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export interface ChartSpec {
  /** What the chart shows, also read out by screen readers (ECharts' aria description). */
  label: string;
  categories: string[];
  series: { name: string; data: number[]; type?: 'bar' | 'line' }[];
  /** Bars along the category axis on the left (long names: items). */
  horizontal?: boolean;
  /** Values are percentages. */
  percent?: boolean;
}

/** The palette of the public pages (styles.css): brand blue, the red of red receipts, then muted. */
const COLOURS = ['#12375f', '#b3261e', '#17692f', '#9a6700', '#4d5761'];

/** Draws a chart into `el`; returns what disposes of it. */
export function drawChart(el: HTMLElement, spec: ChartSpec): () => void {
  const chart = init(el, undefined, { renderer: 'svg' });
  const valueAxis = {
    type: 'value',
    axisLabel: spec.percent ? { formatter: '{value}%' } : {},
  };
  const categoryAxis = {
    type: 'category',
    data: spec.categories,
    inverse: spec.horizontal,
    axisLabel: { width: 140, overflow: 'truncate' },
  };
  const option: EChartsCoreOption = {
    color: COLOURS,
    animation: false,
    aria: { enabled: true, label: { description: spec.label } },
    tooltip: { trigger: 'axis' },
    legend: { show: spec.series.length > 1, top: 0 },
    grid: { left: 8, right: 16, top: spec.series.length > 1 ? 32 : 12, bottom: 8, containLabel: true },
    xAxis: spec.horizontal ? valueAxis : categoryAxis,
    // A line (counts) beside bars (yuan) gets an axis of its own, on the right.
    yAxis: spec.horizontal
      ? categoryAxis
      : [valueAxis, ...(spec.series.some((s) => s.type === 'line') ? [{ type: 'value' }] : [])],
    series: spec.series.map((s) => ({
      name: s.name,
      type: s.type ?? 'bar',
      data: s.data,
      ...(s.type === 'line' ? { yAxisIndex: 1 } : {}),
    })),
  };
  chart.setOption(option);
  const resize = () => chart.resize();
  addEventListener('resize', resize);
  return () => {
    removeEventListener('resize', resize);
    chart.dispose();
  };
}
