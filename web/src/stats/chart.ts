/**
 * The open-data page's charts: bars (amounts in yuan) and lines (counts), drawn by
 * web/src/charts.ts (no tooltip: the pages' CSP refuses its inline styles). A chunk that
 * stats.ts imports after the tables are shown; the tables carry the figures.
 */
import { drawChart as draw } from '../charts.js';

export interface Series {
  name: string;
  data: (number | null)[];
  /** A line (receipt counts) gets its own axis on the right. */
  line?: boolean;
}

/** Draws bars and lines over categories into `el`. */
export function drawChart(el: HTMLElement, label: string, categories: string[], series: Series[]): void {
  draw(el, {
    label,
    categories,
    series: series.map((s) => ({ name: s.name, data: s.data, type: s.line ? 'line' : 'bar' })),
  });
}
