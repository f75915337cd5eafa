import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../../src/core/rng.js";
import { initTensorflow, tf } from "../../src/learn/backend.js";
import { MlpCritic } from "../../src/learn/critic.js";
import { wassersteinCriticTerms, wassersteinDistance } from "../../src/learn/wasserstein.js";

// A float64 re-implementation of the critic loss, independent of critic.ts. T(x) comes from a
// plain forward pass and dT/dx from central differences, which are exact up to rounding because
// T is piecewise linear in x and no kink lies within the step.
interface Layer64 {
  w: Float64Array;
  b: Float64Array;
  rows: number;
  cols: number;
}

function critic64(layers: Layer64[], x: Float64Array, slope: number): number {
  let hidden = x;
  layers.forEach((layer, index) => {
    const out = new Float64Array(layer.cols);
    for (let j = 0; j < layer.cols; j++) {
      let sum = layer.b[j];
      for (let i = 0; i < layer.rows; i++) sum += hidden[i] * layer.w[i * layer.cols + j];
      out[j] = index < layers.length - 1 && sum < 0 ? slope * sum : sum;
    }
    hidden = out;
  });
  return hidden[0];
}

function inputGradient64(layers: Layer64[], x: Float64Array, slope: number): Float64Array {
  const h = 1e-4;
  const gradient = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const plus = Float64Array.from(x);
    const minus = Float64Array.from(x);
    plus[i] += h;
    minus[i] -= h;
    gradient[i] = (critic64(layers, plus, slope) - critic64(layers, minus, slope)) / (2 * h);
  }
  return gradient;
}

function loss64(
  layers: Layer64[],
  joint: Float64Array[],
  shuffled: Float64Array[],
  epsilon: number[],
  slope: number,
  penaltyWeight: number,
): number {
  let total = 0;
  joint.forEach((row, k) => {
    const mixed = row.map((value, i) => epsilon[k] * value + (1 - epsilon[k]) * shuffled[k][i]);
    const g = inputGradient64(layers, mixed, slope);
    const norm = Math.sqrt(g.reduce((sum, value) => sum + value * value, 0));
    total += critic64(layers, row, slope) - critic64(layers, shuffled[k], slope);
    total += penaltyWeight * (norm - 1) ** 2;
  });
  return total / joint.length;
}

function rows(values: Float32Array, n: number): Float64Array[] {
  const width = values.length / n;
  return Array.from({ length: n }, (_, k) => Float64Array.from(values.subarray(k * width, (k + 1) * width)));
}

test("critic loss gradient matches differences", async () => {
  await initTensorflow();
  const slope = 0.1;
  const penaltyWeight = 10;
  const n = 4;
  const inputDim = 6;
  const random = new Random(11);
  const critic = new MlpCritic(inputDim, [5, 3, 1], slope, random, "check");
  const joint = random.normals(n * inputDim);
  const shuffled = random.normals(n * inputDim);
  const epsilon = Array.from({ length: n }, () => random.uniform());

  const parameters = critic.parameters.list();
  const { grads } = tf.variableGrads(
    () =>
      wassersteinCriticTerms(
        critic,
        tf.tensor2d(joint, [n, inputDim]),
        tf.tensor2d(shuffled, [n, inputDim]),
        tf.tensor2d(epsilon, [n, 1]),
        penaltyWeight,
      ).loss,
    parameters,
  );

  const snapshot = critic.parameters.snapshot();
  const layers: Layer64[] = [];
  for (let i = 0; i < snapshot.length; i += 2) {
    const [rowsCount, cols] = snapshot[i].shape;
    layers.push({
      w: Float64Array.from(snapshot[i].values),
      b: Float64Array.from(snapshot[i + 1].values),
      rows: rowsCount,
      cols,
    });
  }
  const jointRows = rows(joint, n);
  const shuffledRows = rows(shuffled, n);
  const evaluate = () => loss64(layers, jointRows, shuffledRows, epsilon, slope, penaltyWeight);
  const h = 1e-5;
  let checked = 0;
  snapshot.forEach((entry, index) => {
    const layer = layers[Math.floor(index / 2)];
    const target = index % 2 === 0 ? layer.w : layer.b;
    const analytic = grads[parameters[index].name].dataSync();
    for (let i = 0; i < target.length; i++) {
      const saved = target[i];
      target[i] = saved + h;
      const plus = evaluate();
      target[i] = saved - h;
      const minus = evaluate();
      target[i] = saved;
      const numeric = (plus - minus) / (2 * h);
      // float32 forward and backward passes carry about 1e-6 relative error per value; 1e-3
      // leaves room for their accumulation while a wrong penalty term is off by O(1).
      const tolerance = 1e-3 * Math.max(1, Math.abs(numeric));
      assert.ok(
        Math.abs(analytic[i] - numeric) <= tolerance,
        `${entry.name}[${i}]: autodiff ${analytic[i]}, finite difference ${numeric}`,
      );
      checked += 1;
    }
  });
  // 6*5 + 5 + 5*3 + 3 + 3*1 + 1 = 57 parameters.
  assert.equal(checked, 57);
  critic.parameters.dispose();
});

test("distance gradient reaches the features", async () => {
  await initTensorflow();
  const n = 3;
  const inputDim = 4;
  const random = new Random(5);
  const critic = new MlpCritic(inputDim, [3, 1], 0.1, random, "features");
  const joint = random.normals(n * inputDim);
  const shuffled = random.normals(n * inputDim);
  const gradient = tf.grad((x: tf.Tensor) =>
    wassersteinDistance(critic, x as tf.Tensor2D, tf.tensor2d(shuffled, [n, inputDim])),
  )(tf.tensor2d(joint, [n, inputDim]));
  const analytic = gradient.dataSync();

  const snapshot = critic.parameters.snapshot();
  const layers: Layer64[] = [
    { w: Float64Array.from(snapshot[0].values), b: Float64Array.from(snapshot[1].values), rows: 4, cols: 3 },
    { w: Float64Array.from(snapshot[2].values), b: Float64Array.from(snapshot[3].values), rows: 3, cols: 1 },
  ];
  // d/dx_k of -mean_k T(x_k) is -dT/dx(x_k) / n.
  rows(joint, n).forEach((row, k) => {
    const expected = inputGradient64(layers, row, 0.1);
    for (let i = 0; i < inputDim; i++) {
      const numeric = -expected[i] / n;
      assert.ok(
        Math.abs(analytic[k * inputDim + i] - numeric) <= 1e-4,
        `x[${k}][${i}]: autodiff ${analytic[k * inputDim + i]}, finite difference ${numeric}`,
      );
    }
  });
  critic.parameters.dispose();
});
