/**
 * Inline SVG charts for HTML reports: a line chart, grouped bars with error bars and a heatmap.
 * Every data mark carries `class="mark"` (error bars `class="error-bar"`), so tests and readers
 * can count them. Text is escaped through html.ts.
 */
import { Html, html } from "./html.js";

/** Colours of successive series (colour-blind safe Okabe-Ito palette). */
export const PALETTE = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#D55E00",
  "#CC79A7",
  "#56B4E9",
  "#F0E442",
  "#000000",
];

const MARGIN = { top: 30, right: 150, bottom: 45, left: 60 };

/** One line of a line chart. */
export interface LineSeries {
  name: string;
  /** Points in x order; non-finite y values are skipped. */
  points: readonly { x: number; y: number }[];
}

/** Options of lineChart. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  /** Fixed y range, for example [0, 1] for accuracies (default: the data's range). */
  yDomain?: [number, number];
  /** Plot width in pixels (default 640). */
  width?: number;
  /** Plot height in pixels (default 320). */
  height?: number;
}

/** Draws one `<path class="mark">` per series that has at least one finite point. */
export function lineChart(options: LineChartOptions): Html {
  const names = options.series.map((series) => series.name);
  const width = (options.width ?? 640) + legendWidth(names) - MARGIN.right;
  const height = options.height ?? 320;
  const points = options.series.flatMap((series) => series.points.filter(isFinitePoint));
  const xScale = linearScale(extent(points.map((point) => point.x)), [
    MARGIN.left,
    width - legendWidth(names),
  ]);
  const yDomain = options.yDomain ?? extent(points.map((point) => point.y));
  const yScale = linearScale(yDomain, [height - MARGIN.bottom, MARGIN.top]);
  const lines = options.series.map((series, index) => {
    const finite = series.points.filter(isFinitePoint);
    if (finite.length === 0) return "";
    const path = finite
      .map(
        (point, i) =>
          `${i === 0 ? "M" : "L"}${fixed(xScale.map(point.x))},${fixed(yScale.map(point.y))}`,
      )
      .join(" ");
    return html`<path
      class="mark"
      d="${path}"
      fill="none"
      stroke="${colour(index)}"
      stroke-width="1.8"
      ><title>${series.name}</title></path
    >`;
  });
  const legend = legendBlock(names, width);
  return svg(width, height, options.title, [
    axes(xScale, yScale, options.xLabel, options.yLabel, width, height, legendWidth(names)),
    lines,
    legend,
  ]);
}

/** One series of a grouped bar chart: a value (and optional error) per group. */
export interface BarSeries {
  name: string;
  values: readonly number[];
  /** Half-length of the error bar per group (for example a standard deviation); none draws no bar. */
  errors?: readonly number[];
}

/** Options of barChart. */
export interface BarChartOptions {
  title: string;
  yLabel: string;
  /** Group labels along the x axis. */
  groups: readonly string[];
  series: readonly BarSeries[];
  /** Upper end of the y axis (default: the largest value plus error). */
  yMax?: number;
  /** A dashed horizontal reference line, for example chance level. */
  reference?: { value: number; label: string };
  width?: number;
  height?: number;
}

/**
 * Draws groups x series `<rect class="mark">` bars and one `<line class="error-bar">` per
 * finite error.
 */
export function barChart(options: BarChartOptions): Html {
  const right = legendWidth(options.series.map((series) => series.name));
  const width =
    options.width ??
    Math.max(480, 60 + options.groups.length * (22 * options.series.length + 24) + right);
  const height = options.height ?? 320;
  const tops = options.series.flatMap((series) =>
    series.values.map((value, i) => value + (series.errors?.[i] ?? 0)),
  );
  const yMax =
    options.yMax ?? Math.max(0, ...tops.filter(Number.isFinite), options.reference?.value ?? 0);
  const yScale = linearScale([0, yMax > 0 ? yMax : 1], [height - MARGIN.bottom, MARGIN.top]);
  const plotLeft = MARGIN.left;
  const groupWidth = (width - right - plotLeft) / Math.max(1, options.groups.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, options.series.length);
  const marks = barMarks(options, yScale, plotLeft, groupWidth, barWidth);
  const labels = options.groups.map(
    (group, g) =>
      html`<text
        x="${fixed(plotLeft + (g + 0.5) * groupWidth)}"
        y="${height - MARGIN.bottom + 16}"
        text-anchor="middle"
        >${group}</text
      >`,
  );
  const reference =
    options.reference === undefined
      ? ""
      : html`<line
            class="reference"
            x1="${plotLeft}"
            x2="${width - right}"
            y1="${fixed(yScale.map(options.reference.value))}"
            y2="${fixed(yScale.map(options.reference.value))}"
            stroke="#888"
            stroke-dasharray="5,4"
          /><text x="${width - right + 4}" y="${fixed(yScale.map(options.reference.value) + 4)}"
            >${options.reference.label}</text
          >`;
  return svg(width, height, options.title, [
    yAxis(yScale, options.yLabel, plotLeft, width - right, height),
    marks,
    labels,
    reference,
    legendBlock(
      options.series.map((series) => series.name),
      width,
    ),
  ]);
}

/** Returns the bars (and error bars) of every series in every group. */
function barMarks(
  options: BarChartOptions,
  yScale: Scale,
  plotLeft: number,
  groupWidth: number,
  barWidth: number,
): Html[] {
  const marks: Html[] = [];
  options.groups.forEach((group, g) => {
    options.series.forEach((series, s) => {
      const value = series.values[g];
      const x = plotLeft + g * groupWidth + groupWidth * 0.1 + s * barWidth;
      const y = yScale.map(Math.max(0, value));
      marks.push(
        html`<rect
          class="mark"
          x="${fixed(x)}"
          y="${fixed(y)}"
          width="${fixed(barWidth * 0.92)}"
          height="${fixed(yScale.map(0) - y)}"
          fill="${colour(s)}"
          ><title>${`${series.name}, ${group}: ${formatNumber(value)}`}</title></rect
        >`,
      );
      const error = series.errors?.[g];
      if (error !== undefined && Number.isFinite(error)) {
        const centre = fixed(x + (barWidth * 0.92) / 2);
        marks.push(
          html`<line
            class="error-bar"
            x1="${centre}"
            x2="${centre}"
            y1="${fixed(yScale.map(value - error))}"
            y2="${fixed(yScale.map(value + error))}"
            stroke="#222"
            stroke-width="1.2"
          />`,
        );
      }
    });
  });
  return marks;
}

/** Options of heatmap. */
export interface HeatmapOptions {
  title: string;
  rows: readonly string[];
  columns: readonly string[];
  /** values[row][column]; non-finite cells are drawn grey. */
  values: readonly (readonly number[])[];
  /** Value mapped to white (default: the smallest value). */
  min?: number;
  /** Value mapped to the darkest blue (default: the largest value). */
  max?: number;
  /** Cell side in pixels (default 36). */
  cell?: number;
  /** Formats a cell's label (default: two decimals). */
  format?: (value: number) => string;
}

/** Draws rows x columns `<rect class="mark">` cells with their values printed inside. */
export function heatmap(options: HeatmapOptions): Html {
  const cell = options.cell ?? 36;
  const left = 90;
  const top = 70;
  const width = Math.max(
    left + options.columns.length * cell + 20,
    MARGIN.left + 7 * options.title.length,
  );
  const height = top + options.rows.length * cell + 20;
  const finite = options.values.flat().filter(Number.isFinite);
  const min = options.min ?? Math.min(...finite, 0);
  const max = options.max ?? Math.max(...finite, min + 1e-9);
  const format = options.format ?? ((value: number) => value.toFixed(2));
  const cells: Html[] = [];
  options.rows.forEach((_, r) => {
    options.columns.forEach((__, c) => {
      const value = options.values[r]?.[c] ?? Number.NaN;
      const t = Number.isFinite(value) ? clamp((value - min) / (max - min || 1), 0, 1) : -1;
      const fill = t < 0 ? "#ccc" : blend(t);
      const x = left + c * cell;
      const y = top + r * cell;
      const text = Number.isFinite(value) ? format(value) : "";
      cells.push(
        html`<rect
            class="mark"
            x="${x}"
            y="${y}"
            width="${cell}"
            height="${cell}"
            fill="${fill}"
            stroke="#fff"
            ><title>${`${options.rows[r]}, ${options.columns[c]}: ${text}`}</title></rect
          ><text
            x="${x + cell / 2}"
            y="${y + cell / 2 + 4}"
            text-anchor="middle"
            style="fill:${t > 0.55 ? "#fff" : "#222"};font-size:10px"
            >${text}</text
          >`,
      );
    });
  });
  const rowLabels = options.rows.map(
    (row, r) =>
      html`<text x="${left - 6}" y="${top + r * cell + cell / 2 + 4}" text-anchor="end"
        >${row}</text
      >`,
  );
  const columnLabels = options.columns.map((column, c) => {
    const x = left + c * cell + cell / 2;
    return html`<text transform="translate(${x},${top - 6}) rotate(-45)" text-anchor="start"
      >${column}</text
    >`;
  });
  return svg(width, height, options.title, [cells, rowLabels, columnLabels]);
}

interface Scale {
  domain: [number, number];
  range: [number, number];
  map(value: number): number;
}

function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain[0] === domain[1] ? [domain[0] - 1, domain[1] + 1] : domain;
  return {
    domain: [d0, d1],
    range,
    map: (value) => range[0] + ((value - d0) / (d1 - d0)) * (range[1] - range[0]),
  };
}

/** Returns about `count` round tick values covering [low, high] (1, 2 or 5 times a power of ten). */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step =
    [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw) ?? raw;
  const ticks: number[] = [];
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) {
    ticks.push(Number(value.toPrecision(12)));
  }
  return ticks;
}

function axes(
  x: Scale,
  y: Scale,
  xLabel: string,
  yLabel: string,
  width: number,
  height: number,
  right: number,
): Html {
  const bottom = height - MARGIN.bottom;
  const xTicks = niceTicks(x.domain[0], x.domain[1]).map(
    (tick) =>
      html`<line
          x1="${fixed(x.map(tick))}"
          x2="${fixed(x.map(tick))}"
          y1="${bottom}"
          y2="${bottom + 4}"
          stroke="#555"
        /><text x="${fixed(x.map(tick))}" y="${bottom + 16}" text-anchor="middle"
          >${formatNumber(tick)}</text
        >`,
  );
  return html`${yAxis(y, yLabel, MARGIN.left, width - right, height)}${xTicks}<text
      x="${fixed((MARGIN.left + width - right) / 2)}"
      y="${height - 8}"
      text-anchor="middle"
      >${xLabel}</text
    >`;
}

function yAxis(y: Scale, label: string, left: number, right: number, height: number): Html {
  const bottom = height - MARGIN.bottom;
  const ticks = niceTicks(y.domain[0], y.domain[1]).map(
    (tick) =>
      html`<line
          x1="${left}"
          x2="${right}"
          y1="${fixed(y.map(tick))}"
          y2="${fixed(y.map(tick))}"
          stroke="#eee"
        /><text x="${left - 6}" y="${fixed(y.map(tick) + 4)}" text-anchor="end"
          >${formatNumber(tick)}</text
        >`,
  );
  const middle = fixed((MARGIN.top + bottom) / 2);
  return html`${ticks}<line
      x1="${left}"
      x2="${right}"
      y1="${bottom}"
      y2="${bottom}"
      stroke="#555"
    /><line x1="${left}" x2="${left}" y1="${MARGIN.top}" y2="${bottom}" stroke="#555" /><text
      transform="translate(14,${middle}) rotate(-90)"
      text-anchor="middle"
      >${label}</text
    >`;
}

/** Returns the right margin that fits the legend: at least MARGIN.right, about 7 px per character. */
function legendWidth(names: readonly string[]): number {
  return Math.max(MARGIN.right, 36 + 7 * Math.max(0, ...names.map((name) => name.length)));
}

function legendBlock(names: readonly string[], width: number): Html {
  const x = width - legendWidth(names) + 12;
  return html`${names.map(
    (name, i) =>
      html`<rect
          class="legend"
          x="${x}"
          y="${MARGIN.top + i * 18}"
          width="12"
          height="12"
          fill="${colour(i)}"
        /><text x="${x + 18}" y="${MARGIN.top + i * 18 + 10}">${name}</text>`,
  )}`;
}

function svg(width: number, height: number, title: string, content: unknown[]): Html {
  return html`<svg
    xmlns="http://www.w3.org/2000/svg"
    width="${width}"
    height="${height}"
    viewBox="0 0 ${width} ${height}"
    role="img"
  >
    <title>${title}</title>
    <text x="${MARGIN.left}" y="18" style="font-weight:600">${title}</text>
    ${content as Html[]}
  </svg>`;
}

function colour(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Interpolates white (t = 0) to dark blue (t = 1). */
function blend(t: number): string {
  const channel = (from: number, to: number) => Math.round(from + (to - from) * t);
  return `rgb(${channel(255, 8)},${channel(255, 48)},${channel(255, 107)})`;
}

function extent(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  return [Math.min(...values), Math.max(...values)];
}

function isFinitePoint(point: { x: number; y: number }): boolean {
  return Number.isFinite(point.x) && Number.isFinite(point.y);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function fixed(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : "0";
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000 || Number.isInteger(value))
    return String(Math.round(value * 1000) / 1000);
  return Number(value.toPrecision(3)).toString();
}
