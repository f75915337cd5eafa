import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../../src/core/rng.js";
import { initTensorflow, tf } from "../../src/learn/backend.js";
import { InvariantNetwork, type NetworkSpec } from "../../src/learn/network.js";

const base: NetworkSpec = {
  backbone: "cnn",
  inputShape: [6, 6, 3],
  cnnChannels: [4, 5],
  featureDim: 6,
  fgDim: 4,
  bgDim: 2,
  numFg: 3,
  numBg: 2,
};

// Same seed, same draws: both networks get identical weights, whatever their pooling.
function network(extra: Partial<NetworkSpec>): InvariantNetwork {
  return new InvariantNetwork({ ...base, ...extra }, new Random(5));
}

// The expected features, written with TensorFlow.js's built-in ops (not the hand-written ones).
function reference(net: InvariantNetwork, x: tf.Tensor4D, pool: "max" | "average", centre: boolean): Float32Array {
  const p = net.parameters;
  let h: tf.Tensor = centre ? tf.mul(tf.sub(x, 0.5), 4) : x;
  h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, p.get("conv0") as tf.Tensor4D, 1, "same"), p.get("conv0Bias")));
  h = tf.maxPool(h as tf.Tensor4D, 2, 2, "valid");
  h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, p.get("conv1") as tf.Tensor4D, 1, "same"), p.get("conv1Bias")));
  h = pool === "max" ? tf.max(h, [1, 2]) : tf.mean(h, [1, 2]);
  return tf.add(tf.matMul(h as tf.Tensor2D, p.get("feature") as tf.Tensor2D), p.get("featureBias")).dataSync() as Float32Array;
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) < 1e-5, `${what}[${i}]: ${value} vs ${expected[i]}`));
}

test("cnn pools and centres inputs", async () => {
  await initTensorflow();
  const random = new Random(8);
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 6 * 6 * 3 }, () => random.uniform()), [2, 6, 6, 3]);
  const current = network({ cnnPool: "max", centreInputs: true });
  assertClose(current.features(x).dataSync() as Float32Array, reference(current, x, "max", true), "max, centred");
  // A model saved before cnnPool and centreInputs existed keeps its average pool on raw pixels.
  const saved = network({});
  assertClose(saved.features(x).dataSync() as Float32Array, reference(saved, x, "average", false), "old model");
  const old = saved.features(x).dataSync();
  const differ = current.features(x).dataSync().some((v, i) => Math.abs(v - old[i]) > 1e-3);
  assert.ok(differ, "max pooling of centred inputs must change the features");
});
