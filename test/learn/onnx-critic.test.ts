import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Random } from "../../src/core/rng.js";
import { UserError } from "../../src/core/errors.js";
import { initTensorflow, tf } from "../../src/learn/backend.js";
import { parseLearnOptions } from "../../src/learn/options.js";
import { PenaltyTerm, drawPairs, type PenaltySettings } from "../../src/learn/penalty.js";
import { trainInvariant, type HistoryEntry } from "../../src/learn/train.js";
import { leakyFeatures } from "./synthetic.js";
import { relativeError } from "./relative-error.js";

const FEATURE_DIM = 40;
const CLASSES = 5;
const BATCH = 16;

function settings(engine: "tfjs" | "onnx", adamBetas: [number, number]): PenaltySettings {
  const options = parseLearnOptions({ engine, criticLearningRate: 1e-2, adamBetas });
  return { ...options, kind: "wasserstein" };
}

/** Two terms built from the same seed, hence with identical critics and embeddings. */
function twinTerms(adamBetas: [number, number]): { tfjs: PenaltyTerm; onnx: PenaltyTerm } {
  const make = (engine: "tfjs" | "onnx") =>
    new PenaltyTerm("critic", FEATURE_DIM, CLASSES, settings(engine, adamBetas), new Random("twin"));
  return { tfjs: make("tfjs"), onnx: make("onnx") };
}

/**
 * Runs `updates` critic updates on two twin terms, TF.js one call per update and ONNX Runtime
 * all in one call (the unrolled graph), and compares the estimates, parameters and moments.
 */
async function compareAfter(updates: number, adamBetas: [number, number]): Promise<void> {
  const { tfjs, onnx } = twinTerms(adamBetas);
  const random = new Random(`batches${updates}`);
  const inputs = Array.from({ length: updates }, () => {
    const labels = Int32Array.from({ length: BATCH }, () => random.int(CLASSES));
    const features = tf.tensor2d(random.normals(BATCH * FEATURE_DIM), [BATCH, FEATURE_DIM]);
    return { features, labels, draws: drawPairs(BATCH, random) };
  });
  const expected = inputs.map((input) => tfjs.criticStep(input.features, input.labels, input.draws));
  const actual = await onnx.criticUpdates(inputs);
  // Each estimate is taken before its update, so it checks the forward pass of update k.
  actual.forEach((value, k) => {
    const tolerance = 1e-5 * Math.max(1, Math.abs(expected[k]));
    assert.ok(Math.abs(value - expected[k]) <= tolerance, `distance ${k}: ${value} vs ${expected[k]}`);
  });
  tf.dispose(inputs.map((input) => input.features));
  const critic = onnx.onnxCritic;
  assert.ok(critic !== undefined);
  const values = await critic.values();
  const reference = tfjs.critic.parameters.list();
  reference.forEach((variable, i) => {
    const error = relativeError(values[i], variable.dataSync());
    assert.ok(error <= 1e-5, `parameter ${variable.name} differs by ${error} after ${updates} updates`);
  });
  // The moments and step count must match too, or a checkpoint would resume another run.
  const actualWeights = await critic.getWeights();
  const expectedWeights = await tfjs.optimizer.getWeights();
  assert.equal(actualWeights.length, expectedWeights.length);
  assert.equal(actualWeights[0].tensor.dataSync()[0], updates);
  expectedWeights.slice(1).forEach((weight, i) => {
    const actualValues = actualWeights[i + 1].tensor.dataSync();
    if (adamBetas[0] === 0 && i < reference.length) {
      // With beta1 = 0 the onnx engine keeps no first moment (it never enters an update).
      assert.ok(actualValues.every((value) => value === 0), `${weight.name} should be zeros`);
      return;
    }
    const error = relativeError(actualValues, weight.tensor.dataSync());
    assert.ok(error <= 1e-5, `Adam slot ${weight.name} differs by ${error}`);
  });
  await critic.dispose();
}

test("one onnx critic update matches tfjs", async () => {
  await initTensorflow();
  await compareAfter(1, [0, 0.9]);
});

test("three onnx critic updates match tfjs", async () => {
  await initTensorflow();
  await compareAfter(3, [0, 0.9]);
  // With beta1 > 0 the first moment is tracked and its bias correction 1 - beta1^t matters.
  await compareAfter(3, [0.5, 0.9]);
});

const small = {
  backbone: "projection",
  steps: 12,
  pretrainSteps: 4,
  featureDim: 16,
  bgDim: 4,
  logEvery: 2,
  engine: "onnx",
} as const;

function withoutTime(history: HistoryEntry[]): Array<Omit<HistoryEntry, "seconds">> {
  return history.map(({ seconds, ...rest }) => {
    void seconds;
    return rest;
  });
}

test("seeded onnx run reproduces exactly", async () => {
  const data = leakyFeatures(256, 1);
  const first = await trainInvariant(data, { ...small, seed: 4 });
  const second = await trainInvariant(data, { ...small, seed: 4 });
  const tfjs = await trainInvariant(data, { ...small, seed: 4, engine: "tfjs" });
  assert.deepEqual(withoutTime(second.history), withoutTime(first.history));
  assert.deepEqual(second.features(data.inputs, 256), first.features(data.inputs, 256));
  // The critics start alike in both engines, so the first estimates agree to rounding.
  const firstActive = first.history.find((entry) => entry.criticFg !== null) as HistoryEntry;
  const tfjsActive = tfjs.history.find((entry) => entry.criticFg !== null) as HistoryEntry;
  assert.ok(Math.abs((firstActive.criticFg as number) - (tfjsActive.criticFg as number)) < 1e-3);
  for (const model of [first, second, tfjs]) model.dispose();
});

test("onnx critic pool reproduces exactly", async () => {
  // Critic steps 2..5 draw their rows from a pool of 2 batches, the gathered path of the trainer.
  const data = leakyFeatures(256, 3);
  const options = { ...small, seed: 8, criticSteps: 5, criticPool: 2 };
  const first = await trainInvariant(data, options);
  const second = await trainInvariant(data, options);
  const fresh = await trainInvariant(data, { ...options, criticPool: 5 });
  const tfjs = await trainInvariant(data, { ...options, engine: "tfjs" });
  assert.deepEqual(withoutTime(second.history), withoutTime(first.history));
  // Pooled rows are other examples than fresh batches, so the critic estimates must differ.
  assert.notDeepEqual(withoutTime(fresh.history), withoutTime(first.history));
  // Both engines see the same pooled rows, so their first estimates agree to rounding.
  const firstActive = first.history.find((entry) => entry.criticFg !== null) as HistoryEntry;
  const tfjsActive = tfjs.history.find((entry) => entry.criticFg !== null) as HistoryEntry;
  assert.ok(Math.abs((firstActive.criticFg as number) - (tfjsActive.criticFg as number)) < 1e-3);
  for (const model of [first, second, fresh, tfjs]) model.dispose();
});

test("onnx resume matches straight run", async () => {
  const dir = await mkdtemp(join(tmpdir(), "d3s-onnx-"));
  try {
    const data = leakyFeatures(256, 2);
    const options = { ...small, seed: 6, checkpointDir: dir, checkpointEvery: 6 };
    const straight = await trainInvariant(data, { ...small, seed: 6 });
    await trainInvariant(data, { ...options, steps: 6 });
    const resumed = await trainInvariant(data, options);
    // The onnx engine replays beta^t as the same running product after a resume, and the
    // critic state round-trips through float32 files, so the runs agree bit for bit.
    assert.deepEqual(withoutTime(resumed.history), withoutTime(straight.history));
    assert.deepEqual(resumed.features(data.inputs, 256), straight.features(data.inputs, 256));
    for (const model of [straight, resumed]) model.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("onnx engine rejects other penalties", () => {
  for (const penalty of ["mine", "linear"] as const) {
    assert.throws(
      () => parseLearnOptions({ engine: "onnx", penalty }),
      (error: unknown) =>
        error instanceof UserError && new RegExp(`engine: "onnx".*"${penalty}"`).test(error.message),
    );
  }
});
