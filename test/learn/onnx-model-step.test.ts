import { test } from "node:test";
import assert from "node:assert/strict";
import { initTensorflow } from "../../src/learn/backend.js";
import { parseLearnOptions, type LearnOptionsInput } from "../../src/learn/options.js";
import { Trainer } from "../../src/learn/trainer.js";
import { leakyFeatures } from "./synthetic.js";
import { relativeError } from "./relative-error.js";

const N = 256;

/**
 * Runs step 0 on two trainers built from one seed, one per engine, and compares the network's
 * Adam moments, its parameters after the update and the logged losses. Adam betas are
 * (0.5, 0.9), so that the first moment after one step is exactly 0.5 times the step's gradient
 * and the comparison checks the gradients themselves (with the default beta1 = 0 the onnx
 * engine keeps no first moment).
 */
async function compareFirstStep(pretrainSteps: number): Promise<void> {
  await initTensorflow();
  const data = leakyFeatures(N, 5);
  const base: LearnOptionsInput = {
    backbone: "projection",
    featureDim: 16,
    bgDim: 4,
    pretrainSteps,
    logEvery: 1,
    learningRate: 1e-2,
    adamBetas: [0.5, 0.9],
  };

  const tfjs = new Trainer(data, N, parseLearnOptions({ ...base, engine: "tfjs" }));
  const onnx = new Trainer(data, N, parseLearnOptions({ ...base, engine: "onnx" }));
  await tfjs.step(0, Date.now());
  await onnx.step(0, Date.now());

  // The Adam moments, which hold the first step's gradients.
  const expected = await tfjs.state(1).optimizers.network.getWeights();
  const actual = await onnx.state(1).optimizers.network.getWeights();
  assert.equal(actual.length, expected.length);
  for (let i = 1; i < expected.length; i++) {
    const error = relativeError(actual[i].tensor.dataSync(), expected[i].tensor.dataSync());
    assert.ok(error <= 1e-5, `Adam slot ${expected[i].name} differs by ${error}`);
  }

  const onnxParameters = onnx.network.parameters.list();
  tfjs.network.parameters.list().forEach((variable, i) => {
    const error = relativeError(onnxParameters[i].dataSync(), variable.dataSync());
    assert.ok(error <= 1e-5, `parameter ${variable.name} differs by ${error} after the update`);
  });

  const [a, b] = [onnx.history[0], tfjs.history[0]];
  assert.ok(Math.abs(a.fgLoss - b.fgLoss) <= 1e-5, `fg loss ${a.fgLoss} vs ${b.fgLoss}`);
  assert.ok(Math.abs(a.bgLoss - b.bgLoss) <= 1e-5, `bg loss ${a.bgLoss} vs ${b.bgLoss}`);
  assert.equal(a.fgAccuracy, b.fgAccuracy);
  assert.equal(a.bgAccuracy, b.bgAccuracy);
}

test("onnx model step matches tfjs", async () => {
  await compareFirstStep(1);
});

test("penalised onnx model step matches tfjs", async () => {
  await compareFirstStep(0);
});
