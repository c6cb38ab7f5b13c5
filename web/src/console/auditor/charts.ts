/**
 * The dashboard's charts (web/src/charts.ts) with a tooltip, which the console's CSP allows.
 * The dashboard imports this module dynamically, so the console's first load never carries
 * ECharts (scripts/build-web.mjs splits it into a chunk).
 */
import { TooltipComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { type ChartSpec, drawChart as draw } from '../../charts.js';

use([TooltipComponent]);

export type { ChartSpec };

/** Draws a chart into `el`; returns what disposes of it. */
export const drawChart = (el: HTMLElement, spec: ChartSpec): (() => void) =>
  draw(el, { ...spec, tooltip: true });
