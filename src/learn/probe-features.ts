import type { LearnData } from "./data.js";
import type { TrainedModel } from "./model.js";

/** Frozen foreground and background features of a set of examples, with both labels. */
export interface FeatureSet {
  fg: Float32Array;
  bg: Float32Array;
  fgDim: number;
  bgDim: number;
  fgLabels: Int32Array;
  bgLabels: Int32Array;
  numFg: number;
  numBg: number;
}

/** Runs the trained model on every example and keeps its split features with the labels. */
export function extractFeatures(model: TrainedModel, data: LearnData): FeatureSet {
  const n = data.fgLabels.length;
  const { fg, bg } = model.features(data.inputs, n);
  return {
    fg,
    bg,
    fgDim: model.fgDim,
    bgDim: model.bgDim,
    fgLabels: data.fgLabels,
    bgLabels: data.bgLabels,
    numFg: data.numFg,
    numBg: data.numBg,
  };
}

/** Returns the features of one part ("fg", "bg" or "all" = fg then bg) and their size. */
export function featurePart(
  set: FeatureSet,
  part: "fg" | "bg" | "all",
): { values: Float32Array; dim: number } {
  if (part === "fg") return { values: set.fg, dim: set.fgDim };
  if (part === "bg") return { values: set.bg, dim: set.bgDim };
  const dim = set.fgDim + set.bgDim;
  const n = set.fgLabels.length;
  const values = new Float32Array(n * dim);
  for (let row = 0; row < n; row++) {
    values.set(set.fg.subarray(row * set.fgDim, (row + 1) * set.fgDim), row * dim);
    values.set(set.bg.subarray(row * set.bgDim, (row + 1) * set.bgDim), row * dim + set.fgDim);
  }
  return { values, dim };
}
