import { featurePart, type FeatureSet } from "./probe-features.js";
import {
  argMaxRows,
  probeLogits,
  trainLinearProbe,
  type LinearProbeOptionsInput,
} from "./probe-linear.js";
import { groupAccuracy, type GroupAccuracy } from "./spurious-groups.js";

/**
 * The two classifiers compared. `erm` fits a linear head by plain empirical risk minimisation
 * on the whole representation, foreground and background features together. `invariant` fits
 * the same head on the foreground features only.
 */
export const SPURIOUS_HEADS = [
  { head: "erm", part: "all" },
  { head: "invariant", part: "fg" },
] as const;
export type SpuriousHead = (typeof SPURIOUS_HEADS)[number]["head"];

/** Scores of one head trained on a correlated split. */
export interface SpuriousResult {
  model: string;
  head: SpuriousHead;
  correlation: number;
  /** On held-out images of the correlated split (same correlation as training). */
  correlated: GroupAccuracy;
  /** On the anti-correlated split (never the paired background). */
  anti: GroupAccuracy;
}

/** Options of runSpurious. */
export interface SpuriousOptions {
  /** Name of the representation, for the report (for example "penalised"). */
  model: string;
  correlation: number;
  /** Fraction of the correlated split held out to measure in-distribution accuracy. Default 0.2. */
  holdout?: number;
  probe?: LinearProbeOptionsInput;
}

/**
 * Trains the ERM and invariant heads on the first (1 - holdout) of the correlated features and
 * scores them on the rest of the correlated split and on the anti-correlated split.
 */
export function runSpurious(
  correlated: FeatureSet,
  anti: FeatureSet,
  options: SpuriousOptions,
): SpuriousResult[] {
  const holdout = options.holdout ?? 0.2;
  const n = correlated.fgLabels.length;
  const trainCount = Math.max(1, Math.min(n - 1, Math.round(n * (1 - holdout))));
  const train = sliceSet(correlated, 0, trainCount);
  const heldOut = sliceSet(correlated, trainCount, n);
  return SPURIOUS_HEADS.map(({ head, part }) => {
    const { values, dim } = featurePart(train, part);
    const probe = trainLinearProbe(values, dim, train.fgLabels, train.numFg, options.probe);
    const score = (set: FeatureSet) => {
      const predictions = argMaxRows(probeLogits(probe, featurePart(set, part).values), set.numFg);
      return groupAccuracy(predictions, set.fgLabels, set.bgLabels, set.numFg, set.numBg);
    };
    return {
      model: options.model,
      head,
      correlation: options.correlation,
      correlated: score(heldOut),
      anti: score(anti),
    };
  });
}

/** Returns rows [start, end) of a feature set. */
export function sliceSet(set: FeatureSet, start: number, end: number): FeatureSet {
  return {
    ...set,
    fg: set.fg.slice(start * set.fgDim, end * set.fgDim),
    bg: set.bg.slice(start * set.bgDim, end * set.bgDim),
    fgLabels: set.fgLabels.slice(start, end),
    bgLabels: set.bgLabels.slice(start, end),
  };
}

/** Formats spurious results as plain text columns for the terminal. */
export function formatSpuriousTable(results: readonly SpuriousResult[]): string {
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  const header = ["model", "head", "p", "correlated", "anti", "worst group (anti)"];
  const rows = results.map((result) => [
    result.model,
    result.head,
    result.correlation.toFixed(2),
    percent(result.correlated.accuracy),
    percent(result.anti.accuracy),
    percent(result.anti.worstGroup),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, column) => cell.padEnd(widths[column])).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}
