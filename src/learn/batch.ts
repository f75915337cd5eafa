import { tf } from "./backend.js";
import { exampleSize, type LearnData } from "./data.js";
import type { Random } from "../core/rng.js";

/** A mini-batch: inputs as a tensor and the two label arrays. */
export interface Batch {
  inputs: tf.Tensor;
  fgLabels: Int32Array;
  bgLabels: Int32Array;
}

/** Draws `size` examples uniformly with replacement, so each step's batch depends only on its seed. */
export function sampleBatch(data: LearnData, n: number, size: number, random: Random): Batch {
  const exampleLength = exampleSize(data.inputShape);
  const values = new Float32Array(size * exampleLength);
  const fgLabels = new Int32Array(size);
  const bgLabels = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const index = random.int(n);
    values.set(data.inputs.subarray(index * exampleLength, (index + 1) * exampleLength), i * exampleLength);
    fgLabels[i] = data.fgLabels[index];
    bgLabels[i] = data.bgLabels[index];
  }
  return { inputs: tf.tensor(values, [size, ...data.inputShape]), fgLabels, bgLabels };
}
