/**
 * The reports' figures as SVG, from Vega-Lite specifications rendered headless by Vega
 * (no browser, no canvas: text widths are estimated). Series differ in dash pattern and
 * point shape as well as colour, and the colours differ in lightness, so a figure reads
 * the same printed in greyscale.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Colours of distinct lightness (dark to light), dashes and shapes: one of each per series. */
const COLOURS = ['#000000', '#d95f02', '#7570b3', '#1b9e77', '#a6a6a6', '#e7298a', '#66a61e', '#666666', '#e6ab02', '#a6761d'];
const DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 4], [10, 2], [4, 2, 1, 2], [3, 5], [12, 4], [2, 6]];
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left', 'stroke', 'wedge'];

const FONT = "'IPAPGothic', 'IPAexGothic', 'Noto Sans CJK JP', sans-serif";

const CONFIG = {
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e0e0e0' },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: 'bottom', columns: 3, symbolStrokeWidth: 2, labelLimit: 320, columnPadding: 16 },
  view: { stroke: '#999999' },
};

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface SeriesPoint {
  /** UTC day, 'YYYY-MM-DD'. */
  day: string;
  series: string;
  value: number;
}

/** Daily values of a few series as lines (a figure of the reports: ports, regions, per-IP accesses). */
export async function lineChart(o: { points: SeriesPoint[]; series: string[]; xTitle: string; yTitle: string; width?: number; height?: number }): Promise<string> {
  const domain = o.series;
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: o.width ?? 640,
    height: o.height ?? 240,
    config: CONFIG,
    data: { values: o.points },
    mark: { type: 'line', point: { size: 20, filled: false }, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'day', type: 'temporal', title: o.xTitle, axis: { format: '%m/%d', labelAngle: 0, tickCount: 8 } },
      y: { field: 'value', type: 'quantitative', title: o.yTitle },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain, range: COLOURS.slice(0, domain.length) }, sort: domain },
      strokeDash: { field: 'series', type: 'nominal', title: null, scale: { domain, range: DASHES.slice(0, domain.length) }, sort: domain },
      shape: { field: 'series', type: 'nominal', title: null, scale: { domain, range: SHAPES.slice(0, domain.length) }, sort: domain },
    },
  } as TopLevelSpec);
}

export interface BarValue {
  /** The bar (a day, or a category). */
  x: string;
  /** Stack part. */
  part: string;
  value: number;
}

/**
 * Stacked bars: per day (TSUBAME's figure 3, domestic 23/TCP sources with and without the
 * Mirai feature) or per category (horizontal: DoS victims by country). Parts differ in fill
 * lightness and outline.
 */
export async function barChart(o: { values: BarValue[]; parts: string[]; xTitle: string; yTitle: string; temporal?: boolean; horizontal?: boolean; width?: number; height?: number }): Promise<string> {
  const domain = o.parts;
  const fills = ['#404040', '#bdbdbd', '#ffffff', '#7f7f7f'];
  const cat = o.temporal
    ? { field: 'x', type: 'temporal', title: o.xTitle, timeUnit: 'utcyearmonthdate', axis: { format: '%m/%d', labelAngle: 0, tickCount: 8 } }
    : { field: 'x', type: 'nominal', title: o.xTitle, sort: null };
  const val = { field: 'value', type: 'quantitative', title: o.yTitle, stack: true };
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: o.width ?? 640,
    height: o.height ?? 240,
    config: CONFIG,
    data: { values: o.values },
    mark: { type: 'bar', stroke: '#000000', strokeWidth: 0.5 },
    encoding: {
      ...(o.horizontal ? { y: cat, x: val } : { x: cat, y: val }),
      fill: { field: 'part', type: 'nominal', title: null, scale: { domain, range: fills.slice(0, domain.length) }, sort: domain },
      order: { field: 'partIndex', type: 'quantitative' },
    },
    transform: [{ calculate: `indexof(${JSON.stringify(domain)}, datum.part)`, as: 'partIndex' }],
  } as TopLevelSpec);
}
