/**
 * The charts of the open-data page and of the auditors' dashboard: Apache ECharts, tree-shaken
 * (the core, bar and line charts, the grid, legend and aria components, the SVG renderer). No
 * tooltip here: ECharts writes it as HTML with inline styles, which the public pages' CSP
 * refuses; the console adds it (console/auditor/charts.ts). Each importer bundles this module
 * into its own build, so the public page never loads console code.
 */
import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent } from 'echarts/components';
import { type EChartsCoreOption, init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, LineChart, AriaComponent, GridComponent, LegendComponent, SVGRenderer]);

export interface ChartSpec {
  /** What the chart shows, also read out by screen readers (ECharts' aria description). */
  label: string;
  categories: string[];
  /** Bars (amounts) by default; a line (counts) gets an axis of its own, on the right. */
  series: { name: string; data: (number | null)[]; type?: 'bar' | 'line' }[];
  /** Bars along the category axis on the left (long names: items). */
  horizontal?: boolean;
  /** Values are percentages. */
  percent?: boolean;
  /** A tooltip on hover: only where TooltipComponent is registered and the CSP allows it. */
  tooltip?: boolean;
}

/** The palette of the public pages (styles.css): brand blue, the red of red receipts, then muted. */
const COLOURS = ['#12375f', '#b3261e', '#17692f', '#9a6700', '#4d5761'];

/** Draws a chart into `el`; returns what disposes of it. */
export function drawChart(el: HTMLElement, spec: ChartSpec): () => void {
  const chart = init(el, undefined, { renderer: 'svg' });
  const several = spec.series.length > 1;
  const valueAxis = {
    type: 'value',
    axisLabel: spec.percent ? { formatter: '{value}%' } : {},
  };
  const categoryAxis = {
    type: 'category',
    data: spec.categories,
    inverse: spec.horizontal,
    axisLabel: { width: 140, overflow: 'truncate', hideOverlap: true },
  };
  const option: EChartsCoreOption = {
    color: COLOURS,
    animation: false,
    aria: { enabled: true, label: { description: spec.label } },
    ...(spec.tooltip ? { tooltip: { trigger: 'axis' } } : {}),
    legend: { show: several, top: 0 },
    grid: { left: 8, right: 16, top: several ? 36 : 12, bottom: 8, containLabel: true },
    xAxis: spec.horizontal ? valueAxis : categoryAxis,
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
