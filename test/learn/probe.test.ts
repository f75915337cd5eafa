import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../../src/core/rng.js";
import { runProbes } from "../../src/learn/probe.js";
import type { FeatureSet } from "../../src/learn/probe-features.js";
import { probeLogits, topKAccuracy, trainLinearProbe } from "../../src/learn/probe-linear.js";

/**
 * Builds features where fg carries the class (a class mean of norm 3 plus unit noise) and bg
 * carries the background the same way, with independent labels.
 */
function clusteredSet(n: number, seed: string): FeatureSet {
  const random = new Random(seed);
  const means = new Random("means").normals(10 * 8);
  const fgLabels = new Int32Array(n);
  const bgLabels = new Int32Array(n);
  const fg = new Float32Array(n * 8);
  const bg = new Float32Array(n * 8);
  for (let i = 0; i < n; i++) {
    fgLabels[i] = random.int(10);
    bgLabels[i] = random.int(10);
    for (let j = 0; j < 8; j++) {
      fg[i * 8 + j] = 3 * means[fgLabels[i] * 8 + j] + random.normal();
      bg[i * 8 + j] = 3 * means[bgLabels[i] * 8 + j] + random.normal();
    }
  }
  return { fg, bg, fgDim: 8, bgDim: 8, fgLabels, bgLabels, numFg: 10, numBg: 10 };
}

test("probes separate informative features", () => {
  const results = runProbes(clusteredSet(1500, "train"), clusteredSet(1000, "test"), {
    epochs: 20,
  });
  const byName = Object.fromEntries(results.map((r) => [`${r.features}->${r.target}`, r]));
  // Class means 3 sigma apart in 8 dimensions are almost linearly separable.
  assert.ok(byName["fg->fg"].top1 > 0.9, `fg->fg ${byName["fg->fg"].top1}`);
  assert.ok(byName["bg->bg"].top1 > 0.9, `bg->bg ${byName["bg->bg"].top1}`);
  // The labels are independent, so the cross probes sit at chance 0.1; 0.16 is 6 standard
  // errors above it for 1000 test examples (sqrt(0.09 / 1000) = 0.0095).
  assert.ok(byName["fg->bg"].top1 < 0.16, `fg->bg ${byName["fg->bg"].top1}`);
  assert.ok(byName["bg->fg"].top1 < 0.16, `bg->fg ${byName["bg->fg"].top1}`);
  assert.equal(byName["fg->fg"].chanceTop1, 0.1);
  assert.equal(byName["fg->fg"].chanceTop5, 0.5);
});

test("probes fall to chance on shuffled labels", () => {
  const train = clusteredSet(1500, "train");
  const test = clusteredSet(1000, "test");
  // Shuffling both label sets makes every label independent of its features, so each test
  // hit is an independent Bernoulli draw with the chance rate.
  const shuffle = (labels: Int32Array, seed: string) =>
    Int32Array.from(new Random(seed).shuffle(Array.from(labels)));
  const probe = trainLinearProbe(train.fg, 8, shuffle(train.fgLabels, "a"), 10, { epochs: 20 });
  const logits = probeLogits(probe, test.fg);
  const testLabels = shuffle(test.fgLabels, "b");
  const top1 = topKAccuracy(logits, testLabels, 10, 1);
  const top5 = topKAccuracy(logits, testLabels, 10, 5);
  // Chance is 0.1 (top-1) and 0.5 (top-5); the bounds are 6 standard errors away
  // (sqrt(0.09 / 1000) = 0.0095 and sqrt(0.25 / 1000) = 0.016).
  assert.ok(top1 < 0.16, `top-1 ${top1}`);
  assert.ok(top5 > 0.4, `top-5 ${top5}`);
  assert.ok(top5 < 0.6, `top-5 ${top5}`);
  // The same probe on true labels shows the features do carry the class.
  const informed = trainLinearProbe(train.fg, 8, train.fgLabels, 10, { epochs: 20 });
  assert.ok(topKAccuracy(probeLogits(informed, test.fg), test.fgLabels, 10, 1) > 0.9);
});

test("probe training repeats for one seed", () => {
  const train = clusteredSet(300, "train");
  const a = trainLinearProbe(train.fg, 8, train.fgLabels, 10, { epochs: 3, seed: 5 });
  const b = trainLinearProbe(train.fg, 8, train.fgLabels, 10, { epochs: 3, seed: 5 });
  assert.deepEqual(a.weights, b.weights);
});

test("top-k counts ties as misses", () => {
  // Row 0: label 1 has the largest logit. Row 1: label 0 ties with class 2, so top-1 misses it.
  const logits = Float32Array.from([0, 2, 1, 3, 1, 3]);
  const labels = Int32Array.from([1, 0]);
  assert.equal(topKAccuracy(logits, labels, 3, 1), 0.5);
  // With k = 3 every label is inside.
  assert.equal(topKAccuracy(logits, labels, 3, 3), 1);
});
