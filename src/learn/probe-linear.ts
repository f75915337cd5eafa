import { z } from "zod";
import { Random } from "../core/rng.js";

/** Options of trainLinearProbe; every default is defined here once. */
export const linearProbeOptionsSchema = z.object({
  /** Passes over the training features. Default 60. */
  epochs: z.number().int().min(1).default(60),
  /** Examples per gradient step. Default 128. */
  batchSize: z.number().int().min(1).default(128),
  /** Adam learning rate. Default 0.01. */
  learningRate: z.number().positive().default(0.01),
  /** L2 penalty on the weights (not the bias). Default 1e-4. */
  weightDecay: z.number().min(0).default(1e-4),
  /** Seed of the initial weights and the batch order. Default 0. */
  seed: z.number().int().default(0),
});
export type LinearProbeOptionsInput = z.input<typeof linearProbeOptionsSchema>;

/**
 * A multinomial logistic regression (softmax) on standardised features: logits = W z + b with
 * z = (x - mean) / std, the mean and std taken from the training features.
 */
export interface LinearProbe {
  dim: number;
  numClasses: number;
  mean: Float32Array;
  std: Float32Array;
  /** [numClasses, dim], row-major. */
  weights: Float32Array;
  bias: Float32Array;
}

/**
 * Trains a softmax regression probe with mini-batch Adam on cross-entropy plus weight decay.
 * `features` holds n rows of `dim` values; labels are 0..numClasses-1.
 */
export function trainLinearProbe(
  features: Float32Array,
  dim: number,
  labels: Int32Array,
  numClasses: number,
  input: LinearProbeOptionsInput = {},
): LinearProbe {
  const options = linearProbeOptionsSchema.parse(input);
  const n = labels.length;
  if (features.length !== n * dim) {
    throw new Error(`Probe features hold ${features.length} values, expected ${n} x ${dim}.`);
  }
  const random = new Random(`${options.seed}:probe`);
  const { mean, std } = moments(features, n, dim);
  const z = standardise(features, n, dim, mean, std);
  const parameters = new Float32Array(numClasses * dim + numClasses);
  for (let i = 0; i < numClasses * dim; i++) parameters[i] = random.normal() * 0.01;
  const adam = new Adam(parameters.length, options.learningRate);
  const gradient = new Float32Array(parameters.length);
  const probabilities = new Float32Array(numClasses);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    random.shuffle(order);
    for (let start = 0; start < n; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize);
      gradient.fill(0);
      for (const row of batch) {
        softmaxRow(parameters, z, row, dim, numClasses, probabilities);
        probabilities[labels[row]] -= 1;
        for (let c = 0; c < numClasses; c++) {
          const delta = probabilities[c] / batch.length;
          const offset = c * dim;
          for (let j = 0; j < dim; j++) gradient[offset + j] += delta * z[row * dim + j];
          gradient[numClasses * dim + c] += delta;
        }
      }
      for (let i = 0; i < numClasses * dim; i++) gradient[i] += options.weightDecay * parameters[i];
      adam.step(parameters, gradient);
    }
  }
  return {
    dim,
    numClasses,
    mean,
    std,
    weights: parameters.slice(0, numClasses * dim),
    bias: parameters.slice(numClasses * dim),
  };
}

/** Returns the probe's logits for n rows of features, [n, numClasses] row-major. */
export function probeLogits(probe: LinearProbe, features: Float32Array): Float32Array {
  const n = features.length / probe.dim;
  const z = standardise(features, n, probe.dim, probe.mean, probe.std);
  const logits = new Float32Array(n * probe.numClasses);
  for (let row = 0; row < n; row++) {
    for (let c = 0; c < probe.numClasses; c++) {
      let sum = probe.bias[c];
      for (let j = 0; j < probe.dim; j++)
        sum += probe.weights[c * probe.dim + j] * z[row * probe.dim + j];
      logits[row * probe.numClasses + c] = sum;
    }
  }
  return logits;
}

/** Returns the fraction of rows whose label is among the k largest logits (ties count against). */
export function topKAccuracy(
  logits: Float32Array,
  labels: Int32Array,
  numClasses: number,
  k: number,
): number {
  let correct = 0;
  labels.forEach((label, row) => {
    const target = logits[row * numClasses + label];
    let larger = 0;
    for (let c = 0; c < numClasses; c++) {
      if (c !== label && logits[row * numClasses + c] >= target) larger += 1;
    }
    if (larger < k) correct += 1;
  });
  return labels.length === 0 ? Number.NaN : correct / labels.length;
}

/** Returns the arg-max class of each row. */
export function argMaxRows(logits: Float32Array, numClasses: number): Int32Array {
  const n = logits.length / numClasses;
  const predictions = new Int32Array(n);
  for (let row = 0; row < n; row++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) {
      if (logits[row * numClasses + c] > logits[row * numClasses + best]) best = c;
    }
    predictions[row] = best;
  }
  return predictions;
}

function softmaxRow(
  parameters: Float32Array,
  z: Float32Array,
  row: number,
  dim: number,
  numClasses: number,
  out: Float32Array,
): void {
  let max = -Infinity;
  for (let c = 0; c < numClasses; c++) {
    let sum = parameters[numClasses * dim + c];
    for (let j = 0; j < dim; j++) sum += parameters[c * dim + j] * z[row * dim + j];
    out[c] = sum;
    if (sum > max) max = sum;
  }
  let total = 0;
  for (let c = 0; c < numClasses; c++) {
    out[c] = Math.exp(out[c] - max);
    total += out[c];
  }
  for (let c = 0; c < numClasses; c++) out[c] /= total;
}

function moments(
  features: Float32Array,
  n: number,
  dim: number,
): { mean: Float32Array; std: Float32Array } {
  const mean = new Float32Array(dim);
  const std = new Float32Array(dim);
  for (let row = 0; row < n; row++)
    for (let j = 0; j < dim; j++) mean[j] += features[row * dim + j] / n;
  for (let row = 0; row < n; row++) {
    for (let j = 0; j < dim; j++) std[j] += (features[row * dim + j] - mean[j]) ** 2 / n;
  }
  // A constant feature (for example a dead ReLU) keeps std 1, so it standardises to zero.
  for (let j = 0; j < dim; j++) std[j] = std[j] > 1e-12 ? Math.sqrt(std[j]) : 1;
  return { mean, std };
}

function standardise(
  features: Float32Array,
  n: number,
  dim: number,
  mean: Float32Array,
  std: Float32Array,
): Float32Array {
  const z = new Float32Array(n * dim);
  for (let row = 0; row < n; row++) {
    for (let j = 0; j < dim; j++) z[row * dim + j] = (features[row * dim + j] - mean[j]) / std[j];
  }
  return z;
}

/** Adam with the usual betas (0.9, 0.999) and bias correction. */
class Adam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;

  constructor(
    size: number,
    private readonly learningRate: number,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  step(parameters: Float32Array, gradient: Float32Array): void {
    this.t += 1;
    const correction1 = 1 - 0.9 ** this.t;
    const correction2 = 1 - 0.999 ** this.t;
    for (let i = 0; i < parameters.length; i++) {
      this.m[i] = 0.9 * this.m[i] + 0.1 * gradient[i];
      this.v[i] = 0.999 * this.v[i] + 0.001 * gradient[i] * gradient[i];
      parameters[i] -=
        (this.learningRate * this.m[i]) / correction1 / (Math.sqrt(this.v[i] / correction2) + 1e-8);
    }
  }
}
