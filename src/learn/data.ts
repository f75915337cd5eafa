import { UserError } from "../core/errors.js";

/**
 * Training examples with a foreground label and a background label each. `inputs` contains `n`
 * examples back to back, each of `inputShape`: `[height, width, channels]` images scaled to
 * [0, 1] for the CNN, or `[d]` cached features for the projection backbone.
 */
export interface LearnData {
  inputs: Float32Array;
  inputShape: number[];
  fgLabels: Int32Array;
  bgLabels: Int32Array;
  numFg: number;
  numBg: number;
}

/** Returns the number of values in one example. */
export function exampleSize(inputShape: readonly number[]): number {
  return inputShape.reduce((product, size) => product * size, 1);
}

/** Checks that sizes, labels and shapes agree, and returns the number of examples. */
export function validateLearnData(data: LearnData, backbone: "cnn" | "projection"): number {
  const size = exampleSize(data.inputShape);
  const n = data.fgLabels.length;
  if (data.inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new UserError(`Invalid inputShape [${data.inputShape}]: every size must be a positive integer.`);
  }
  if (backbone === "cnn" && data.inputShape.length !== 3) {
    throw new UserError(
      `The cnn backbone needs images of shape [height, width, channels], got [${data.inputShape}]. ` +
        `Use --backbone projection for feature vectors.`,
    );
  }
  if (backbone === "projection" && data.inputShape.length !== 1) {
    throw new UserError(
      `The projection backbone needs feature vectors of shape [d], got [${data.inputShape}]. ` +
        `Use --backbone cnn for images.`,
    );
  }
  if (n < 2 || data.bgLabels.length !== n || data.inputs.length !== n * size) {
    throw new UserError(
      `Learn data sizes disagree: ${data.inputs.length} input values for shape [${data.inputShape}], ` +
        `${n} foreground labels and ${data.bgLabels.length} background labels (at least 2 examples).`,
    );
  }
  checkLabels(data.fgLabels, data.numFg, "foreground");
  checkLabels(data.bgLabels, data.numBg, "background");
  return n;
}

function checkLabels(labels: Int32Array, count: number, kind: string): void {
  if (!Number.isInteger(count) || count < 2) {
    throw new UserError(`The number of ${kind} classes must be an integer of at least 2, got ${count}.`);
  }
  const bad = labels.findIndex((label) => label < 0 || label >= count);
  if (bad >= 0) {
    throw new UserError(
      `Example ${bad} has ${kind} label ${labels[bad]}, outside 0..${count - 1}.`,
    );
  }
}
