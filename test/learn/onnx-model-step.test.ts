import { test } from "node:test";
import assert from "node:assert/strict";
import { initTensorflow } from "../../src/learn/backend.js";
import { parseLearnOptions } from "../../src/learn/options.js";
import { Trainer } from "../../src/learn/trainer.js";
import { leakyFeatures } from "./synthetic.js";

const N = 256;

/** Largest |a - b| divided by the largest |b|; an all-zero expected tensor needs all zeros. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? (difference === 0 ? 0 : Infinity) : difference / scale;
}

/**
 * Runs step 0 on two trainers built from one seed, one per engine, and compares the network's
 * Adam first moments (with beta1 = 0 they are exactly the step's gradients), its parameters
 * after the update and the logged losses.
 */
async function compareFirstStep(pretrainSteps: number): Promise<void> {
  await initTensorflow();
  const data = leakyFeatures(N, 5);
  const base = { backbone: "projection", featureDim: 16, bgDim: 4, pretrainSteps, logEvery: 1, learningRate: 1e-2 } as const;
  const tfjs = new Trainer(data, N, parseLearnOptions({ ...base, engine: "tfjs" }));
  const onnx = new Trainer(data, N, parseLearnOptions({ ...base, engine: "onnx" }));
  await tfjs.step(0, Date.now());
  await onnx.step(0, Date.now());
  const expected = await tfjs.state(1).optimizers.network.getWeights();
  const actual = await onnx.state(1).optimizers.network.getWeights();
  assert.equal(actual.length, expected.length);
  const parameters = tfjs.network.parameters.list().length;
  for (let i = 1; i <= parameters; i++) {
    const error = relativeError(actual[i].tensor.dataSync(), expected[i].tensor.dataSync());
    assert.ok(error <= 1e-5, `gradient of ${expected[i].name} differs by ${error}`);
  }
  const onnxParameters = onnx.network.parameters.list();
  tfjs.network.parameters.list().forEach((variable, i) => {
    const error = relativeError(onnxParameters[i].dataSync(), variable.dataSync());
    assert.ok(error <= 1e-5, `parameter ${variable.name} differs by ${error} after the update`);
  });
  const [a, b] = [onnx.history[0], tfjs.history[0]];
  assert.ok(Math.abs(a.fgLoss - b.fgLoss) <= 1e-5 && Math.abs(a.bgLoss - b.bgLoss) <= 1e-5);
  assert.equal(a.fgAccuracy, b.fgAccuracy);
  assert.equal(a.bgAccuracy, b.bgAccuracy);
}

test("onnx model step matches tfjs", async () => {
  await compareFirstStep(1);
});

test("penalised onnx model step matches tfjs", async () => {
  await compareFirstStep(0);
});
