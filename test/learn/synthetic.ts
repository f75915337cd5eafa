import { Random } from "../../src/core/rng.js";
import type { LearnData } from "../../src/learn/train.js";

/**
 * Feature vectors whose first `numFg` dimensions contain a one-hot of the foreground label
 * times 2, the next `numBg` a one-hot of the background label times 2, and the rest noise.
 * Unit Gaussian noise is added everywhere. Background information therefore leaks into every linear feature
 * that a projection does not explicitly cancel.
 */
export function leakyFeatures(n: number, seed: number, dim = 24, numFg = 4, numBg = 4): LearnData {
  const random = new Random(seed);
  const inputs = random.normals(n * dim);
  const fgLabels = new Int32Array(n);
  const bgLabels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    fgLabels[i] = random.int(numFg);
    bgLabels[i] = random.int(numBg);
    inputs[i * dim + fgLabels[i]] += 2;
    inputs[i * dim + numFg + bgLabels[i]] += 2;
  }
  return { inputs, inputShape: [dim], fgLabels, bgLabels, numFg, numBg };
}

/**
 * Accuracy of a nearest-class-mean classifier fitted on the first half of `features` (rows of
 * `dim` values) and scored on the second half: a quick measure of linearly decodable labels.
 */
export function nearestMeanAccuracy(
  features: Float32Array,
  dim: number,
  labels: Int32Array,
  classes: number,
): number {
  const n = labels.length;
  const half = Math.floor(n / 2);
  const means = new Float64Array(classes * dim);
  const counts = new Float64Array(classes);
  for (let i = 0; i < half; i++) {
    counts[labels[i]] += 1;
    for (let d = 0; d < dim; d++) means[labels[i] * dim + d] += features[i * dim + d];
  }
  for (let c = 0; c < classes; c++) for (let d = 0; d < dim; d++) means[c * dim + d] /= Math.max(1, counts[c]);
  let correct = 0;
  for (let i = half; i < n; i++) {
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < classes; c++) {
      let distance = 0;
      for (let d = 0; d < dim; d++) distance += (features[i * dim + d] - means[c * dim + d]) ** 2;
      if (distance < bestDistance) {
        bestDistance = distance;
        best = c;
      }
    }
    if (best === labels[i]) correct += 1;
  }
  return correct / (n - half);
}
