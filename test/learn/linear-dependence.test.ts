import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../../src/core/rng.js";
import { initTensorflow, tf } from "../../src/learn/backend.js";
import { LinearDependenceTerm } from "../../src/learn/linear-dependence.js";
import { invertSpd } from "../../src/learn/spd-inverse.js";

const SETTINGS = { averageRate: 0.05, shrinkage: 1e-3 };

/** Rows of `dim` normal values; class c adds `shift` to dimension c % dim. */
function shiftedBatch(n: number, dim: number, classes: number, shift: number, seed: number) {
  const random = new Random(seed);
  const values = random.normals(n * dim);
  const labels = Int32Array.from({ length: n }, () => random.int(classes));
  labels.forEach((label, i) => (values[i * dim + (label % dim)] += shift));
  return { values, labels };
}

/** Gauss-Jordan inverse in float64, independent of the Cholesky code under test. */
function gaussJordan(matrix: Float64Array, dim: number): Float64Array {
  const a = Float64Array.from(matrix);
  const inverse = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) inverse[i * dim + i] = 1;
  for (let column = 0; column < dim; column++) {
    const pivot = a[column * dim + column];
    for (let j = 0; j < dim; j++) {
      a[column * dim + j] /= pivot;
      inverse[column * dim + j] /= pivot;
    }
    for (let row = 0; row < dim; row++) {
      if (row === column) continue;
      const factor = a[row * dim + column];
      for (let j = 0; j < dim; j++) {
        a[row * dim + j] -= factor * a[column * dim + j];
        inverse[row * dim + j] -= factor * inverse[column * dim + j];
      }
    }
  }
  return inverse;
}

/**
 * Computes the unbiased Pillai estimate from its definition. Each class contributes the mean of
 * zᵢᵀ A zⱼ over ordered pairs of distinct examples (z centred on the batch mean), weighted by
 * the class share. The sum is divided by the batch's variance relative to A's covariance.
 */
function pillai64(values: Float32Array, labels: Int32Array, dim: number, classes: number): number {
  const n = labels.length;
  const mean = new Float64Array(dim);
  values.forEach((value, k) => (mean[k % dim] += value / n));
  const centred = Float64Array.from(values, (value, k) => value - mean[k % dim]);
  const covariance = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) covariance[a * dim + b] += (centred[i * dim + a] * centred[i * dim + b]) / n;
    }
  }
  let trace = 0;
  for (let a = 0; a < dim; a++) trace += covariance[a * dim + a];
  const ridge = (SETTINGS.shrinkage * trace) / dim + 1e-6;
  for (let a = 0; a < dim; a++) covariance[a * dim + a] += ridge;
  const precision = gaussJordan(covariance, dim);
  const quad = (i: number, j: number) => {
    let sum = 0;
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) sum += centred[i * dim + a] * precision[a * dim + b] * centred[j * dim + b];
    }
    return sum;
  };
  let total = 0;
  for (let c = 0; c < classes; c++) {
    const members = [...labels.keys()].filter((i) => labels[i] === c);
    if (members.length < 2) continue;
    let pairs = 0;
    for (const i of members) for (const j of members) if (i !== j) pairs += quad(i, j);
    total += (members.length / n) * (pairs / (members.length * (members.length - 1)));
  }
  // The batch is the covariance's own data, so its variance ratio is trace / (trace + d ridge).
  return total / (trace / (trace + dim * ridge));
}

function evaluate(term: LinearDependenceTerm, values: Float32Array, labels: Int32Array, dim: number): number {
  return tf.tidy(() => term.modelTerm(tf.tensor2d(values, [labels.length, dim]), labels).dataSync()[0]);
}

test("linear penalty matches Pillai's trace", async () => {
  await initTensorflow();
  const dim = 6;
  const { values, labels } = shiftedBatch(48, dim, 4, 1.5, 1);
  const term = new LinearDependenceTerm("linear", dim, 4, SETTINGS);
  term.observe(tf.tensor2d(values, [48, dim]), 0);
  const expected = pillai64(values, labels, dim, 4);
  const actual = evaluate(term, values, labels, dim);
  assert.ok(Math.abs(actual - expected) <= 1e-4 * Math.abs(expected), `${actual} vs ${expected}`);
  term.dispose();
});

test("linear penalty ignores feature scale", async () => {
  await initTensorflow();
  const dim = 5;
  const { values, labels } = shiftedBatch(64, dim, 3, 1, 2);
  const term = new LinearDependenceTerm("linear", dim, 3, SETTINGS);
  term.observe(tf.tensor2d(values, [64, dim]), 0);
  // The covariance stays the one of `values`, and the batch scale factor cancels the factor 9.
  const scaled = Float32Array.from(values, (value) => 3 * value);
  const base = evaluate(term, values, labels, dim);
  assert.ok(Math.abs(evaluate(term, scaled, labels, dim) - base) <= 1e-4 * base);
  term.dispose();
});

test("linear penalty separates dependent labels", async () => {
  await initTensorflow();
  const dim = 8;
  const independent = shiftedBatch(2000, dim, 4, 0, 3);
  const dependent = shiftedBatch(2000, dim, 4, 1, 3);
  const value = (batch: typeof independent) => {
    const term = new LinearDependenceTerm("linear", dim, 4, SETTINGS);
    term.observe(tf.tensor2d(batch.values, [2000, dim]), 0);
    const result = evaluate(term, batch.values, batch.labels, dim);
    term.dispose();
    return result;
  };
  // Class c shifts dimension c by 1, classes equally likely. On those 4 dimensions the
  // between-class covariance is H / 4 (H the centring matrix, rank 3) and the total covariance
  // I + H / 4, so Pillai's trace is 3 · (1/4) / (1 + 1/4) = 0.6. Independent labels have an
  // expected trace of 0; 0.02 is far above its sampling error at n = 2000.
  const none = value(independent);
  const some = value(dependent);
  assert.ok(Math.abs(none) < 0.02, `independent labels gave ${none}`);
  assert.ok(some > 0.5, `shifted classes gave ${some}`);
  assert.ok(some < 0.7, `shifted classes gave ${some}`);
});

test("cholesky inverse inverts and rejects", () => {
  const dim = 7;
  const random = new Random(4);
  const factor = random.normals(dim * dim);
  // M Mᵀ + I is symmetric positive definite.
  const matrix = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      let sum = i === j ? 1 : 0;
      for (let k = 0; k < dim; k++) sum += factor[i * dim + k] * factor[j * dim + k];
      matrix[i * dim + j] = sum;
    }
  }
  const inverse = invertSpd(matrix, dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += matrix[i * dim + k] * inverse[k * dim + j];
      assert.ok(Math.abs(sum - (i === j ? 1 : 0)) < 1e-9, `(A A⁻¹)[${i}][${j}] = ${sum}`);
    }
  }
  assert.throws(() => invertSpd(Float64Array.from([1, 2, 2, 1]), 2), /not positive definite/);
});
