/**
 * The open-data page's charts: Apache ECharts, tree-shaken (the core, bar and line charts, the
 * grid, legend and aria components, the SVG renderer), a chunk that stats.ts imports after the
 * tables are shown. No tooltip: ECharts writes it as HTML with inline styles, which the pages'
 * CSP refuses; the table below each chart carries the figures.
 */
import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, LineChart, AriaComponent, GridComponent, LegendComponent, SVGRenderer]);

/** The palette of the public pages (styles.css): brand blue, the red of red receipts, then muted. */
const COLOURS = ['#12375f', '#b3261e', '#17692f'];

export interface Series {
  name: string;
  data: (number | null)[];
  /** A line (receipt counts) gets its own axis on the right. */
  line?: boolean;
}

/** Draws bars (amounts in yuan) and lines (counts) over categories into `el`. */
export function drawChart(el: HTMLElement, label: string, categories: string[], series: Series[]): void {
  const chart = init(el, undefined, { renderer: 'svg' });
  chart.setOption({
    color: COLOURS,
    animation: false,
    aria: { enabled: true, label: { description: label } },
    legend: { top: 0 },
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: categories, axisLabel: { hideOverlap: true } },
    yAxis: [{ type: 'value' }, ...(series.some((s) => s.line) ? [{ type: 'value' }] : [])],
    series: series.map((s) => ({
      name: s.name,
      type: s.line ? 'line' : 'bar',
      data: s.data,
      ...(s.line ? { yAxisIndex: 1 } : {}),
    })),
  });
  addEventListener('resize', () => chart.resize());
}
