import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../../src/core/rng.js";
import { initTensorflow, tf } from "../../src/learn/backend.js";
import { injectGradient } from "../../src/learn/onnx-engine/injected-gradient.js";
import { parseLearnOptions, type LearnOptionsInput } from "../../src/learn/options.js";
import { PenaltyTerm, drawPairs } from "../../src/learn/penalty.js";
import { trainInvariant, type LearnData } from "../../src/learn/train.js";
import { relativeError } from "./relative-error.js";

const FEATURE_DIM = 40;
const CLASSES = 5;
const BATCH = 16;
const INPUT_DIM = 12;

function onnxTerm(): PenaltyTerm {
  const settings = { ...parseLearnOptions({ engine: "onnx" }), kind: "wasserstein" as const };
  return new PenaltyTerm("critic", FEATURE_DIM, CLASSES, settings, new Random("distance"));
}

test("distance gradient matches tfjs autodiff", async () => {
  await initTensorflow();
  const term = onnxTerm();
  const random = new Random("features");
  const values = random.normals(BATCH * FEATURE_DIM);
  const labels = Int32Array.from({ length: BATCH }, () => random.int(CLASSES));
  const { permutation } = drawPairs(BATCH, random);
  const features = tf.tensor2d(values, [BATCH, FEATURE_DIM]);
  // Expected: TF.js's own gradient of the Wasserstein model term through the same critic.
  const { value, grad } = tf.valueAndGrad((f: tf.Tensor) => term.modelTerm(f as tf.Tensor2D, labels, permutation))(features);
  const actual = await term.onnxCritic?.distanceGradient(values, labels, permutation);
  assert.ok(actual !== undefined);
  const expectedValue = value.dataSync()[0];
  assert.ok(Math.abs(actual.value - expectedValue) <= 1e-5 * Math.max(1, Math.abs(expectedValue)));
  const error = relativeError(actual.gradient, grad.dataSync());
  assert.ok(error <= 1e-5, `feature gradient differs by ${error}`);
  // A zero gradient would pass a loose check; this critic's gradient has entries well above 0.
  assert.ok(grad.abs().max().dataSync()[0] > 1e-4);
  await term.onnxCritic?.dispose();
});

test("injected gradient trains a backbone alike", async () => {
  await initTensorflow();
  const term = onnxTerm();
  const random = new Random("backbone");
  const inputs = tf.tensor2d(random.normals(BATCH * INPUT_DIM), [BATCH, INPUT_DIM]);
  const weight = tf.variable(tf.tensor2d(random.normals(INPUT_DIM * FEATURE_DIM), [INPUT_DIM, FEATURE_DIM]));
  const labels = Int32Array.from({ length: BATCH }, () => random.int(CLASSES));
  const { permutation } = drawPairs(BATCH, random);
  const features = () => tf.matMul(inputs, weight) as tf.Tensor2D;
  // Expected: the backbone weight's gradient when TF.js differentiates the critic itself.
  const expected = tf.variableGrads(() => term.modelTerm(features(), labels, permutation), [weight]);
  const external = await term.onnxCritic?.distanceGradient(features().dataSync() as Float32Array, labels, permutation);
  assert.ok(external !== undefined);
  const actual = tf.variableGrads(() => injectGradient(features(), external), [weight]);
  assert.ok(Math.abs(actual.value.dataSync()[0] - expected.value.dataSync()[0]) <= 1e-5);
  const error = relativeError(actual.grads[weight.name].dataSync(), expected.grads[weight.name].dataSync());
  assert.ok(error <= 1e-5, `backbone gradient differs by ${error}`);
  await term.onnxCritic?.dispose();
});

test("cnn backbone trains with onnx engine", async () => {
  // 8x8 images whose brightest channel is the foreground label and whose top half brightness
  // is the background label, as in train.test.ts.
  const random = new Random(11);
  const n = 64;
  const size = 8 * 8 * 3;
  const inputs = new Float32Array(n * size);
  const fgLabels = Int32Array.from({ length: n }, () => random.int(3));
  const bgLabels = Int32Array.from({ length: n }, () => random.int(2));
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < 64; p++) {
      for (let c = 0; c < 3; c++) {
        const top = p < 32 && bgLabels[i] === 1 ? 0.3 : 0;
        inputs[i * size + p * 3 + c] = 0.2 * random.uniform() + (c === fgLabels[i] ? 0.5 : 0) + top;
      }
    }
  }

  const data: LearnData = { inputs, inputShape: [8, 8, 3], fgLabels, bgLabels, numFg: 3, numBg: 2 };
  const options: LearnOptionsInput = {
    backbone: "cnn",
    cnnChannels: [4, 8],
    featureDim: 8,
    bgDim: 2,
    steps: 6,
    pretrainSteps: 2,
    batchSize: 16,
    logEvery: 1,
  };

  const onnx = await trainInvariant(data, { ...options, engine: "onnx" });
  const tfjs = await trainInvariant(data, { ...options, engine: "tfjs" });
  // Step 3 is the first with the penalty: its model update is the first to use the injected
  // gradient, so step 4's losses differ only by float32 rounding between the engines.
  for (const index of [2, 3]) {
    const [a, b] = [onnx.history[index], tfjs.history[index]];
    assert.ok(Math.abs((a.criticFg as number) - (b.criticFg as number)) <= 1e-4, `step ${a.step} critic`);
    assert.ok(Math.abs(a.fgLoss - b.fgLoss) <= 1e-4, `step ${a.step} fg loss ${a.fgLoss} vs ${b.fgLoss}`);
  }

  onnx.dispose();
  tfjs.dispose();
});
