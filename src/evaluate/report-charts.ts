import { html, type Html } from "../report/html.js";
import type { Interval } from "./bootstrap.js";

const COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00"];

/** One bar of a drop chart: a value and its (possibly asymmetric) interval. */
export interface DropBar {
  value: number;
  ci: Interval;
}

/** Options of dropChart. */
export interface DropChartOptions {
  /** Group labels (model names). */
  groups: string[];
  /** Series names (for example top-1 drop, top-5 drop). */
  series: string[];
  /** bars[group][series]. */
  bars: DropBar[][];
  title: string;
}

const fixed = (value: number) => Number.isFinite(value) ? value.toFixed(1) : "0";

/**
 * Draws a grouped bar chart of accuracy drops in percentage points, with a zero line, negative
 * bars below it and one error bar per interval (asymmetric bootstrap intervals are drawn as they are).
 */
export function dropChart(options: DropChartOptions): Html {
  const margin = { left: 60, right: 150, top: 30, bottom: 50 };
  const groupWidth = Math.max(90, 30 * options.series.length + 30);
  const width = Math.max(560, margin.left + margin.right + groupWidth * options.groups.length);
  const height = 320;
  const values = options.bars.flat().flatMap((bar) => [bar.value, ...bar.ci].map((v) => v * 100));
  const finite = values.filter(Number.isFinite);
  const high = Math.max(5, ...finite);
  const low = Math.min(0, ...finite);
  const y = (value: number) =>
    margin.top + ((high - value) / (high - low)) * (height - margin.top - margin.bottom);
  const barWidth = (groupWidth * 0.7) / options.series.length;
  const plotRight = margin.left + groupWidth * options.groups.length;
  const marks: Html[] = [];
  options.groups.forEach((group, g) => {
    options.bars[g].forEach((bar, s) => {
      const x = margin.left + g * groupWidth + groupWidth * 0.15 + s * barWidth;
      const value = bar.value * 100;
      const top = Math.min(y(value), y(0));
      const centre = x + barWidth * 0.45;
      marks.push(
        html`<rect class="mark" x="${fixed(x)}" y="${fixed(top)}" width="${fixed(barWidth * 0.9)}" height="${fixed(Math.abs(y(value) - y(0)))}" fill="${COLOURS[s % COLOURS.length]}"><title>${`${group}, ${options.series[s]}: ${value.toFixed(2)} pp [${(bar.ci[0] * 100).toFixed(2)}, ${(bar.ci[1] * 100).toFixed(2)}]`}</title></rect>`,
        html`<line class="error-bar" x1="${fixed(centre)}" x2="${fixed(centre)}" y1="${fixed(y(bar.ci[0] * 100))}" y2="${fixed(y(bar.ci[1] * 100))}" stroke="#222" stroke-width="1.3"/>`,
      );
    });
  });
  const labels = options.groups.map(
    (group, g) =>
      html`<text x="${fixed(margin.left + (g + 0.5) * groupWidth)}" y="${height - margin.bottom + 18}" text-anchor="middle">${group}</text>`,
  );
  const ticks = [low, 0, high / 2, high].filter((v, i, all) => all.indexOf(v) === i);
  const axis = ticks.map(
    (tick) =>
      html`<line x1="${margin.left - 4}" x2="${plotRight}" y1="${fixed(y(tick))}" y2="${fixed(y(tick))}" stroke="${tick === 0 ? "#444" : "#e3e3e3"}"/><text x="${margin.left - 8}" y="${fixed(y(tick) + 4)}" text-anchor="end">${tick.toFixed(1)}</text>`,
  );
  const legend = options.series.map(
    (name, s) =>
      html`<rect x="${plotRight + 16}" y="${margin.top + s * 20}" width="12" height="12" fill="${COLOURS[s % COLOURS.length]}"/><text x="${plotRight + 34}" y="${margin.top + s * 20 + 10}">${name}</text>`,
  );
  return html`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${options.title}"><text x="10" y="16" style="font-weight:600">${options.title}</text><text transform="translate(14,${height / 2}) rotate(-90)" text-anchor="middle">drop (percentage points)</text>${axis}${marks}${labels}${legend}</svg>`;
}

/** Options of cellHeatmap. */
export interface CellHeatmapOptions {
  rows: string[];
  columns: string[];
  /** values[row][column] in [0, 1], where NaN marks a cell without images. */
  values: number[][];
  /** counts[row][column], shown in the tooltip. */
  counts: number[][];
  /** Id written into each cell as `data-cell="id:row:column"` for the click handler. */
  id: string;
}

// Five stops of matplotlib's viridis map at 0, 0.25, 0.5, 0.75 and 1. Its dark end keeps 0% cells
// clearly visible on a white page, and it reads in greyscale and for colour-blind readers.
const VIRIDIS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
const EMPTY_FILL = "#f2f2f2";
const CELL_BORDER = "#8c8c8c";

function rgbOf(hex: string): number[] {
  return [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
}

/** Maps a value in [0, 1] to a colour by linear interpolation between the viridis stops. */
export function shade(value: number): string {
  const t = Math.min(1, Math.max(0, value)) * (VIRIDIS.length - 1);
  const low = Math.min(Math.floor(t), VIRIDIS.length - 2);
  const [from, to] = [rgbOf(VIRIDIS[low]), rgbOf(VIRIDIS[low + 1])];
  const channels = from.map((channel, i) => Math.round(channel + (to[i] - channel) * (t - low)));
  return `rgb(${channels.join(",")})`;
}

/** Draws the colour bar with its 0% and 100% ends, and the swatch of cells without images. */
function heatmapLegend(hatch: string, gradient: string): Html {
  const stops = VIRIDIS.map(
    (colour, i) => html`<stop offset="${(i / (VIRIDIS.length - 1)) * 100}%" stop-color="${colour}"/>`,
  );
  return html`<g class="legend"><linearGradient id="${gradient}">${stops}</linearGradient><text x="10" y="14">top-1 accuracy</text><rect x="10" y="20" width="150" height="10" fill="url(#${gradient})" stroke="${CELL_BORDER}" stroke-width="0.6"/><text x="10" y="43">0%</text><text x="160" y="43" text-anchor="end">100%</text><rect x="10" y="52" width="12" height="12" fill="url(#${hatch})" stroke="${CELL_BORDER}" stroke-width="0.6"/><text x="28" y="62">no images</text></g>`;
}

/**
 * Draws a class x background accuracy heatmap. Every cell of the grid is drawn with a border:
 * cells with images are coloured by their top-1 accuracy and cells without images are hatched.
 * Each cell carries `data-cell` for the click handler. A legend shows the colour scale.
 */
export function cellHeatmap(options: CellHeatmapOptions): Html {
  const cell = 18;
  const left = 180;
  const top = 80;
  const width = left + options.columns.length * cell + 20;
  const height = top + options.rows.length * cell + 10;
  const hatch = `hatch-${options.id}`;
  const gradient = `scale-${options.id}`;

  const cells: Html[] = [];
  options.rows.forEach((row, r) => {
    options.columns.forEach((column, c) => {
      const value = options.values[r][c];
      const count = options.counts[r][c];
      const empty = !Number.isFinite(value) || count === 0;
      const images = `${count} ${count === 1 ? "image" : "images"}`;
      const tip = empty
        ? `${row}, ${column}: no images`
        : `${row}, ${column}: top-1 ${(value * 100).toFixed(1)}% of ${images}`;
      const fill = empty ? `url(#${hatch})` : shade(value);
      cells.push(
        html`<rect class="${empty ? "cell empty" : "cell"}" data-cell="${`${options.id}:${r}:${c}`}" x="${left + c * cell}" y="${top + r * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="${CELL_BORDER}" stroke-width="0.6"><title>${tip}</title></rect>`,
      );
    });
  });

  const rowLabels = options.rows.map(
    (row, r) => html`<text x="${left - 6}" y="${top + r * cell + 13}" text-anchor="end">${row}</text>`,
  );
  const columnLabels = options.columns.map(
    (column, c) =>
      html`<text transform="translate(${left + c * cell + 12},${top - 6}) rotate(-60)">${column}</text>`,
  );
  const pattern = html`<defs><pattern id="${hatch}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${EMPTY_FILL}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9a9a9a" stroke-width="1.5"/></pattern></defs>`;
  return html`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="class x background top-1 accuracy">${pattern}${heatmapLegend(hatch, gradient)}${cells}${rowLabels}${columnLabels}</svg>`;
}
