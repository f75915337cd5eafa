import type { DemoModel, DemoResults } from "../learn/demo-results.js";
import type { ProbeResult } from "../learn/probe.js";
import type { SpuriousResult } from "../learn/spurious.js";
import { barChart, heatmap, lineChart } from "./charts.js";
import { figure, html, page, paragraph, table, type Html, type Section } from "./html.js";

const percent = (value: number | null) =>
  value === null || !Number.isFinite(value) ? "-" : `${(value * 100).toFixed(1)}%`;

/**
 * Builds the self-contained HTML report of `d3s demo`: the checks against the expected
 * numbers, the dataset, loss curves, the probe table, the spurious benchmark and its sweep.
 */
export function buildLearnReport(results: DemoResults): string {
  const sections: Section[] = [
    { title: "Summary", content: summary(results) },
    { title: "Mini dataset", content: dataset(results) },
    { title: "Training", content: training(results) },
    { title: "Linear probes", content: probes(results) },
    { title: "Spurious correlation benchmark", content: spurious(results) },
    { title: "Correlation sweep", content: sweep(results) },
    { title: "Timings", content: timings(results) },
  ];
  return page({
    title: "d3s demo: invariant foreground and background features",
    subtitle:
      `Created ${results.createdAt}; total ${results.timings.total?.toFixed(0) ?? "?"} s.` +
      (results.settings.quick === true
        ? " Quick run: reduced splits, steps and CNN, a smoke test. The expectations apply to the full run."
        : ""),
    sections,
  });
}

function summary(results: DemoResults): Html {
  return table({
    caption: "Expected results of the method on the mini dataset",
    columns: ["check", "target", "measured", "met"],
    rows: results.expectations.map((check) => [
      check.name,
      check.target,
      check.name.includes("minus")
        ? `${(check.measured * 100).toFixed(1)} points`
        : percent(check.measured),
      check.met ? "yes" : "no",
    ]),
  });
}

function dataset(results: DemoResults): Html {
  const { dataset: data } = results;
  const sizes = table({
    columns: ["split", "images"],
    rows: Object.entries(data.splitSizes).map(([name, count]) => [name, count]),
  });
  const sample =
    results.samplePng === undefined
      ? ""
      : figure(
          html`<img
            alt="one training image per class and background"
            src="data:image/png;base64,${results.samplePng}"
          />`,
          `Rows: ${data.classNames.join(", ")}. Columns: ${data.backgroundNames.join(", ")}.`,
        );
  return html`${paragraph(
    `Fashion-MNIST items composited onto GIMP photo textures, ${data.imageSize} x ${data.imageSize} pixels. ` +
      "Class c is paired with background c in the correlated split; the anti-correlated split never uses the pair.",
  )}${sizes}${sample}`;
}

function training(results: DemoResults): Html {
  const models = Object.keys(results.training) as DemoModel[];
  const losses = lineChart({
    title: "Cross-entropy of the two heads",
    xLabel: "step",
    yLabel: "loss",
    series: models.flatMap((model) =>
      (["fgLoss", "bgLoss"] as const).map((key) => ({
        name: `${model} ${key === "fgLoss" ? "fg" : "bg"}`,
        points: results.training[model].history.map((entry) => ({ x: entry.step, y: entry[key] })),
      })),
    ),
  });
  const linear = results.settings.penalty === "linear";
  const history = results.training.penalised?.history ?? [];
  const critic = lineChart({
    title: linear
      ? "Pillai's trace of the linear penalty, mean of 5 log entries (penalised model)"
      : "Critic estimates of the mutual information (penalised model)",
    xLabel: "step",
    yLabel: linear ? "Pillai's trace" : "critic estimate",
    series: (["criticFg", "criticBg"] as const).map((key) => {
      const values = history.map((entry) => entry[key] ?? Number.NaN);
      return {
        name: linear
          ? key === "criticFg"
            ? "V(fg features, bg label)"
            : "V(bg features, fg label)"
          : key === "criticFg"
            ? "I(fg features; bg label)"
            : "I(bg features; fg label)",
        points: (linear ? movingMean(values, 5) : values).map((y, i) => ({ x: history[i].step, y })),
      };
    }),
  });
  const criticCaption = linear
    ? "Unbiased batch estimates after the plain pre-training steps, averaged over 5 log entries " +
      "because a single batch estimate is noisy. 0 means no linear dependence."
    : "Critic values after the plain pre-training steps.";
  return html`${figure(losses, "Per-batch losses logged during training.")}${figure(critic, criticCaption)}`;
}

/** Returns the mean of each value and the `width - 1` values before it (fewer at the start). */
function movingMean(values: number[], width: number): number[] {
  return values.map((_, i) => {
    const window = values.slice(Math.max(0, i - width + 1), i + 1).filter(Number.isFinite);
    return window.length === 0 ? Number.NaN : window.reduce((a, b) => a + b, 0) / window.length;
  });
}

function probes(results: DemoResults): Html {
  const models = Object.keys(results.probes) as DemoModel[];
  const rows = models.flatMap((model) =>
    results.probes[model].map((r: ProbeResult) => [
      model,
      `${r.features} -> ${r.target}`,
      percent(r.top1),
      percent(r.top5),
      percent(r.chanceTop1),
    ]),
  );
  const first = results.probes[models[0]] ?? [];
  const chart = barChart({
    title: "Probe top-1 accuracy on the validation split",
    yLabel: "top-1 accuracy",
    groups: first.map((r) => `${r.features} -> ${r.target}`),
    series: models.map((model) => ({
      name: model,
      values: results.probes[model].map((r) => r.top1),
    })),
    yMax: 1,
    reference: { value: first[0]?.chanceTop1 ?? 0.1, label: "chance" },
  });
  return html`${paragraph(
    "Softmax-regression probes on frozen features, trained on the balanced train split and scored on the balanced validation split.",
  )}${table({ columns: ["model", "probe", "top-1", "top-5", "chance (top-1)"], rows })}${chart}`;
}

function spurious(results: DemoResults): Html {
  const rows = results.spurious.map((r) => [
    r.model,
    r.head,
    percent(r.correlated.accuracy),
    percent(r.anti.accuracy),
    percent(r.correlated.worstGroup),
    percent(r.anti.worstGroup),
  ]);
  const penalised = results.spurious.filter((r) => r.model === "penalised");
  const perBackground = barChart({
    title: "Accuracy per background, anti-correlated split (penalised model)",
    yLabel: "accuracy",
    groups: results.dataset.backgroundNames,
    series: penalised.map((r) => ({ name: r.head, values: r.anti.perBackground })),
    yMax: 1,
  });
  const maps = penalised.map((r) =>
    heatmap({
      title: `${r.head} head: accuracy per class and background (anti-correlated)`,
      rows: results.dataset.classNames,
      columns: results.dataset.backgroundNames,
      values: r.anti.groups,
      min: 0,
      max: 1,
      format: (value) => (value * 100).toFixed(0),
    }),
  );
  const correlation = results.spurious[0]?.correlation ?? Number.NaN;
  return html`${paragraph(
    `Linear heads trained on the correlated split (p = ${correlation}) over frozen features: ERM uses the whole ` +
      "representation, the invariant head only the foreground features. Worst group: the lowest accuracy over (class, background) pairs with at least 5 images.",
  )}${table({
    columns: [
      "model",
      "head",
      "correlated",
      "anti-correlated",
      "worst group (correlated)",
      "worst group (anti)",
    ],
    rows,
  })}${perBackground}${maps}`;
}

function sweep(results: DemoResults): Html {
  const key = (r: SpuriousResult) => `${r.model} ${r.head}`;
  const names = [...new Set(results.sweep.map(key))];
  const chart = (metric: "accuracy" | "worstGroup", title: string) =>
    lineChart({
      title,
      xLabel: "correlation p of the training split",
      yLabel: metric === "accuracy" ? "accuracy" : "worst-group accuracy",
      yDomain: [0, 1],
      series: names.map((name) => ({
        name,
        points: results.sweep
          .filter((r) => key(r) === name)
          .map((r) => ({ x: r.correlation, y: r.anti[metric] })),
      })),
    });
  const rows = results.sweep.map((r) => [
    r.correlation,
    r.model,
    r.head,
    percent(r.anti.accuracy),
    percent(r.anti.worstGroup),
  ]);
  return html`${chart("accuracy", "Anti-correlated accuracy against training correlation")}${chart(
    "worstGroup",
    "Anti-correlated worst-group accuracy against training correlation",
  )}${table({ columns: ["p", "model", "head", "anti-correlated", "worst group"], rows })}`;
}

function timings(results: DemoResults): Html {
  return table({
    columns: ["stage", "seconds"],
    rows: Object.entries(results.timings).map(([stage, seconds]) => [
      stage,
      Number(seconds.toFixed(1)),
    ]),
  });
}
