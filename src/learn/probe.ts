import { featurePart, type FeatureSet } from "./probe-features.js";
import {
  probeLogits,
  topKAccuracy,
  trainLinearProbe,
  type LinearProbeOptionsInput,
} from "./probe-linear.js";

/** Which feature part a probe reads and which label it predicts. */
export type FeaturePart = "fg" | "bg";

/** One row of the probe table. */
export interface ProbeResult {
  features: FeaturePart;
  target: FeaturePart;
  numClasses: number;
  top1: number;
  /** Top-5 accuracy, only when there are more than 5 classes. */
  top5: number | null;
  /** Top-1 accuracy of a uniform guess: 1 / numClasses. */
  chanceTop1: number;
  chanceTop5: number | null;
}

/** The four probes in table order: the two kept signals, then the two removed ones. */
export const PROBE_PAIRS: ReadonlyArray<readonly [FeaturePart, FeaturePart]> = [
  ["fg", "fg"],
  ["bg", "bg"],
  ["fg", "bg"],
  ["bg", "fg"],
];

/**
 * Trains the four linear probes fg->fg, bg->bg, fg->bg and bg->fg on frozen training features
 * and reports their accuracy on the evaluation features.
 */
export function runProbes(
  train: FeatureSet,
  test: FeatureSet,
  options: LinearProbeOptionsInput = {},
): ProbeResult[] {
  return PROBE_PAIRS.map(([features, target]) => {
    const numClasses = target === "fg" ? train.numFg : train.numBg;
    const trainLabels = target === "fg" ? train.fgLabels : train.bgLabels;
    const testLabels = target === "fg" ? test.fgLabels : test.bgLabels;
    const { values, dim } = featurePart(train, features);
    const probe = trainLinearProbe(values, dim, trainLabels, numClasses, options);
    const logits = probeLogits(probe, featurePart(test, features).values);
    const hasTop5 = numClasses > 5;
    return {
      features,
      target,
      numClasses,
      top1: topKAccuracy(logits, testLabels, numClasses, 1),
      top5: hasTop5 ? topKAccuracy(logits, testLabels, numClasses, 5) : null,
      chanceTop1: 1 / numClasses,
      chanceTop5: hasTop5 ? 5 / numClasses : null,
    };
  });
}

/** Formats probe tables of several models as plain text columns for the terminal. */
export function formatProbeTable(
  models: ReadonlyArray<{ name: string; results: ProbeResult[] }>,
): string {
  const percent = (value: number | null) => (value === null ? "-" : `${(value * 100).toFixed(1)}%`);
  const header = ["model", "probe", "top-1", "chance", "top-5", "chance"];
  const rows = models.flatMap(({ name, results }) =>
    results.map((result) => [
      name,
      `${result.features} -> ${result.target}`,
      percent(result.top1),
      percent(result.chanceTop1),
      percent(result.top5),
      percent(result.chanceTop5),
    ]),
  );
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, column) => cell.padEnd(widths[column])).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}
