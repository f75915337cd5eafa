import { dirname, join, relative, sep } from "node:path";
import { writeFileAtomic } from "../core/atomic.js";
import { imagenetClasses } from "../data/imagenet.js";
import { html, Html, table, type Content } from "../report/html.js";
import type { ClassMap } from "./class-map.js";
import type { Dataset } from "./datasets.js";
import type { MetricRow } from "./metrics.js";
import { cellHeatmap, dropChart } from "./report-charts.js";
import type { ModelResult } from "./results.js";
import type { ScoreSpace } from "./scoring.js";

/** Sets and label names the report needs besides the results. */
export interface ReportContext {
  dataset: Dataset;
  reference?: Dataset;
  classMap?: ClassMap;
}

const MAX_LISTED = 200;

const percent = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? "" : (value * 100).toFixed(1);
const withCi = (value: number | undefined, ci: [number, number] | undefined) =>
  value === undefined || Number.isNaN(value) ? "" : `${percent(value)} [${percent(ci?.[0])}, ${percent(ci?.[1])}]`;

function labelNames(space: ScoreSpace, classMap: ClassMap | undefined): (label: number) => string {
  if (space !== "full" && classMap) return (label) => classMap.labels[label] ?? String(label);
  const names = imagenetClasses();
  return (label) => (names[label] ? `${names[label].name} (${label})` : String(label));
}

/** Returns the score space the charts show: `full` when scored, else `restricted`. */
function primarySpace(results: ModelResult[]): ScoreSpace {
  const spaces = results[0]?.rows.map((row) => row.space) ?? [];
  return spaces.includes("full") ? "full" : "restricted";
}

function imageUrl(reportDir: string, root: string, file: string): string {
  return relative(reportDir, join(root, file)).split(sep).map(encodeURIComponent).join("/");
}

function resultsTable(results: ModelResult[]): Html {
  const rows = results.flatMap((result) =>
    result.rows
      .filter((row) => row.scope === "overall")
      .map((row: MetricRow): Content[] => [
        result.model.name,
        result.model.kind,
        result.model.sha256.slice(0, 12),
        row.space,
        row.set,
        row.n,
        (row.set === "reference" ? result.sets.reference?.unreadable : result.sets.dataset.unreadable) ?? 0,
        withCi(row.top1, row.top1Ci),
        withCi(row.top5, row.top5Ci),
        withCi(row.dropTop1, row.dropTop1Ci),
        withCi(row.dropTop5, row.dropTop5Ci),
      ]),
  );
  return table({
    columns: ["model", "kind", "sha256", "space", "set", "images", "unreadable", "top-1 % [95% CI]", "top-5 % [95% CI]", "top-1 drop pp", "top-5 drop pp"],
    rows,
  });
}

function backgroundTable(results: ModelResult[], space: ScoreSpace): Html {
  const backgrounds = [...new Set(results.flatMap((r) => r.rows.filter((row) => row.set === "dataset" && row.scope !== "overall").map((row) => row.scope)))];
  const rows = results.map((result): Content[] => [
    result.model.name,
    ...backgrounds.map((background) => {
      const row = result.rows.find((r) => r.space === space && r.set === "dataset" && r.scope === background);
      return row ? `${percent(row.top1)} (n=${row.n})` : "";
    }),
  ]);
  return table({ columns: ["model", ...backgrounds], rows, caption: `Top-1 % per background (${space})` });
}

interface CellImages {
  [cell: string]: Array<{ src: string; guess: string; right: boolean }>;
}

function heatmapSection(results: ModelResult[], space: ScoreSpace, context: ReportContext, reportDir: string): { markup: Html; images: CellImages } {
  const name = labelNames(space, context.classMap);
  const images: CellImages = {};
  const panels = results.map((result, m) => {
    const cells = result.cells.filter((cell) => cell.space === space);
    const labels = [...new Set(cells.map((cell) => cell.label))].sort((a, b) => a - b);
    const backgrounds = [...new Set(cells.map((cell) => cell.background))].sort();
    const values = labels.map(() => backgrounds.map(() => Number.NaN));
    const counts = labels.map(() => backgrounds.map(() => 0));
    for (const cell of cells) {
      const r = labels.indexOf(cell.label);
      const c = backgrounds.indexOf(cell.background);
      values[r][c] = cell.top1;
      counts[r][c] = cell.n;
    }
    for (const prediction of result.predictions.dataset) {
      const label = space === "full" ? prediction.label : scoredLabel(prediction.label, context);
      const r = labels.indexOf(label);
      const c = backgrounds.indexOf(prediction.background);
      if (r < 0 || c < 0) continue;
      const guess = guessOf(prediction, space, context);
      const key = `m${m}:${r}:${c}`;
      (images[key] ??= []).push({
        src: imageUrl(reportDir, context.dataset.root, prediction.file),
        guess: name(guess),
        right: guess === label,
      });
    }
    const svg = cellHeatmap({ rows: labels.map(name), columns: backgrounds, values, counts, id: `m${m}` });
    return html`<div class="panel" data-model="${m}" style="${m === 0 ? "" : "display:none"}">${svg}</div>`;
  });
  const options = results.map((result, m) => html`<option value="${m}">${result.model.name}</option>`);
  const markup = html`<p>Model: <select id="model-select">${options}</select> Click a cell to list its images.</p>${panels}<div id="cell-images"></div>`;
  return { markup, images };
}

function scoredLabel(label: number, context: ReportContext): number {
  if (!context.classMap) return label;
  return context.classMap.targetOf(label);
}

function guessOf(prediction: ModelResult["predictions"]["dataset"][number], space: ScoreSpace, context: ReportContext): number {
  if (space === "restricted") return prediction.restrictedTop5?.[0] ?? -1;
  if (space === "mapped") return context.classMap?.targetOf(prediction.top5[0]) ?? -1;
  return prediction.top5[0];
}

function missedByAll(results: ModelResult[], space: ScoreSpace, context: ReportContext, reportDir: string): Html {
  if (results.length === 0) return html`<p>No models.</p>`;
  const name = labelNames(space, context.classMap);
  const byFile = results.map((result) => new Map(result.predictions.dataset.map((p) => [p.file, p])));
  const missed = results[0].predictions.dataset.filter((prediction) =>
    byFile.every((predictions) => {
      const own = predictions.get(prediction.file);
      if (!own) return false;
      const label = space === "full" ? own.label : scoredLabel(own.label, context);
      return label >= 0 && guessOf(own, space, context) !== label;
    }),
  );
  const figures = missed.slice(0, MAX_LISTED).map((prediction) => {
    const label = space === "full" ? prediction.label : scoredLabel(prediction.label, context);
    const guesses = results.map((result, m) => `${result.model.name}: ${name(guessOf(byFile[m].get(prediction.file)!, space, context))}`);
    return html`<figure class="thumb"><a href="${imageUrl(reportDir, context.dataset.root, prediction.file)}"><img loading="lazy" src="${imageUrl(reportDir, context.dataset.root, prediction.file)}" alt="${prediction.file}"></a><figcaption>${name(label)} | ${prediction.background}<br>${guesses.join("; ")}</figcaption></figure>`;
  });
  const note = missed.length > MAX_LISTED ? ` The first ${MAX_LISTED} are shown.` : "";
  return html`<p>Images that every model gets wrong (top-1, ${space}): ${missed.length}. They are the first candidates for human verification.${note}</p><div class="thumbs">${figures}</div>`;
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; color: #1d1d1f; max-width: 1200px; margin: 2em auto; padding: 0 1em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; }
th { background: #f4f4f6; text-align: left; }
td.number { text-align: right; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
rect.cell { cursor: pointer; }
rect.cell:hover { stroke: #000; stroke-width: 2; }
.thumbs { display: flex; flex-wrap: wrap; gap: 8px; }
.thumb { width: 170px; margin: 0; font-size: 11px; }
.thumb img { width: 170px; height: 170px; object-fit: cover; }
.thumb.wrong figcaption { color: #b00; }
.overflow { overflow-x: auto; }
`;

// Shows the selected model's heatmap and lists a clicked cell's images from the embedded JSON.
const SCRIPT = `
const images = JSON.parse(document.getElementById("cell-data").textContent);
const select = document.getElementById("model-select");
select.addEventListener("change", () => {
  for (const panel of document.querySelectorAll(".panel")) {
    panel.style.display = panel.dataset.model === select.value ? "" : "none";
  }
});
document.addEventListener("click", (event) => {
  const key = event.target.getAttribute && event.target.getAttribute("data-cell");
  if (!key) return;
  const target = document.getElementById("cell-images");
  target.replaceChildren();
  const title = document.createElement("h3");
  title.textContent = event.target.querySelector("title").textContent;
  const list = document.createElement("div");
  list.className = "thumbs";
  for (const item of images[key] || []) {
    const figure = document.createElement("figure");
    figure.className = item.right ? "thumb" : "thumb wrong";
    const link = document.createElement("a");
    link.href = item.src;
    const img = document.createElement("img");
    img.src = item.src;
    img.loading = "lazy";
    link.append(img);
    const caption = document.createElement("figcaption");
    caption.textContent = (item.right ? "right: " : "wrong: ") + item.guess;
    figure.append(link, caption);
    list.append(figure);
  }
  if (list.children.length === 0) {
    const none = document.createElement("p");
    none.textContent = "No images in this cell.";
    list.append(none);
  }
  target.append(title, list);
});
`;

/**
 * Builds the evaluation report: results table, drop chart with bootstrap intervals, per-background
 * table, an interactive class x background heatmap and the images every model gets wrong. The
 * page is self-contained (inline CSS, SVG and script); images are linked relative to the report.
 */
export function evaluateReportHtml(results: ModelResult[], context: ReportContext, reportDir: string): string {
  // 1. Figures from the primary score space.
  const space = primarySpace(results);
  const drops = dropChart({
    title: `Accuracy drop vs reference (${space}), 95% bootstrap intervals`,
    groups: results.map((result) => result.model.name),
    series: ["top-1 drop", "top-5 drop"],
    bars: results.map((result) => {
      const row = result.rows.find((r) => r.space === space && r.set === "dataset" && r.scope === "overall");
      return [
        { value: row?.dropTop1 ?? Number.NaN, ci: row?.dropTop1Ci ?? [Number.NaN, Number.NaN] },
        { value: row?.dropTop5 ?? Number.NaN, ci: row?.dropTop5Ci ?? [Number.NaN, Number.NaN] },
      ];
    }),
  });
  const heatmap = heatmapSection(results, space, context, reportDir);
  const cellJson = JSON.stringify(heatmap.images).replace(/</g, "\\u003c");

  // 2. Page assembly.
  const reference = context.reference ? html`; reference ${context.reference.root}` : "";
  const dropSection = context.reference ? html`<div class="overflow">${drops}</div>` : html`<p>No reference set was given, so no drop is reported.</p>`;
  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>d3s evaluate report</title><style>${new Html(STYLE)}</style></head>
<body>
<h1>d3s evaluate report</h1>
<p>Dataset ${context.dataset.root} (${context.dataset.layout})${reference}.</p>
<h2>Results</h2>${resultsTable(results)}
<h2>Accuracy drop per model</h2>${dropSection}
<h2>Per background</h2>${backgroundTable(results, space)}
<h2>Class x background top-1 (${space})</h2><div class="overflow">${heatmap.markup}</div>
<h2>Misclassified by every model</h2>${missedByAll(results, space, context, reportDir)}
<script type="application/json" id="cell-data">${new Html(cellJson)}</script>
<script>${new Html(SCRIPT)}</script>
</body></html>
`;
  return page.markup;
}

/** Writes report.html and returns its path. */
export async function writeEvaluateReport(path: string, results: ModelResult[], context: ReportContext): Promise<string> {
  await writeFileAtomic(path, evaluateReportHtml(results, context, dirname(path)));
  return path;
}
