import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../../src/core/rng.js";
import { planBackgrounds } from "../../src/data/mini/splits.js";
import type { FeatureSet } from "../../src/learn/probe-features.js";
import { runSpurious } from "../../src/learn/spurious.js";
import { groupAccuracy } from "../../src/learn/spurious-groups.js";

/**
 * Builds disentangled features: fg is a noisy class mean (scale 1.2 against unit noise, so a
 * linear head is right about 80% of the time) and bg a clean background mean (scale 4).
 */
function disentangledSet(plan: "correlated" | "anti", perClass: number, seed: string): FeatureSet {
  const random = new Random(seed);
  const fgMeans = new Random("fg means").normals(10 * 6);
  const bgMeans = new Random("bg means").normals(10 * 4);
  const labels = Array.from({ length: 10 * perClass }, (_, i) => Math.floor(i / perClass));
  const backgrounds = planBackgrounds(labels, plan, 10, 0.95, random);
  const order = random.shuffle(labels.map((_, i) => i));
  const n = labels.length;
  const set: FeatureSet = {
    fg: new Float32Array(n * 6),
    bg: new Float32Array(n * 4),
    fgDim: 6,
    bgDim: 4,
    fgLabels: new Int32Array(n),
    bgLabels: new Int32Array(n),
    numFg: 10,
    numBg: 10,
  };
  order.forEach((item, row) => {
    set.fgLabels[row] = labels[item];
    set.bgLabels[row] = backgrounds[item];
    for (let j = 0; j < 6; j++)
      set.fg[row * 6 + j] = 1.2 * fgMeans[labels[item] * 6 + j] + random.normal();
    for (let j = 0; j < 4; j++)
      set.bg[row * 4 + j] = 4 * bgMeans[backgrounds[item] * 4 + j] + 0.3 * random.normal();
  });
  return set;
}

test("invariant head beats ERM off-correlation", () => {
  const correlated = disentangledSet("correlated", 200, "train");
  const anti = disentangledSet("anti", 90, "test");
  const [erm, invariant] = runSpurious(correlated, anti, { model: "synthetic", correlation: 0.95 });
  assert.equal(erm.head, "erm");
  assert.equal(invariant.head, "invariant");
  // ERM leans on the background, which is right 95% of the time in training and never on anti.
  assert.ok(erm.correlated.accuracy > 0.9, `erm correlated ${erm.correlated.accuracy}`);
  assert.ok(
    invariant.anti.accuracy - erm.anti.accuracy >= 0.15,
    `invariant ${invariant.anti.accuracy} vs erm ${erm.anti.accuracy}`,
  );
  // The invariant head ignores the background, so its accuracy barely moves between splits.
  assert.ok(Math.abs(invariant.anti.accuracy - invariant.correlated.accuracy) < 0.1);
});

test("group accuracy finds worst group", () => {
  // Four examples: class 0 on bg 0 (right, right), class 1 on bg 1 (right, wrong). A minimum
  // group size of 2 lets both groups count.
  const result = groupAccuracy(
    Int32Array.from([0, 0, 1, 0]),
    Int32Array.from([0, 0, 1, 1]),
    Int32Array.from([0, 0, 1, 1]),
    2,
    2,
    2,
  );
  assert.equal(result.accuracy, 0.75);
  assert.equal(result.worstGroup, 0.5);
  assert.deepEqual(result.worst, { fg: 1, bg: 1 });
  assert.deepEqual(result.perBackground, [1, 0.5]);
  // Groups without examples are NaN and never the worst group.
  assert.ok(Number.isNaN(result.groups[0][1]));
});

test("worst group skips small groups", () => {
  // Class 0 on bg 0: 5 examples, 4 right. Class 1 on bg 1: 1 example, wrong. With the default
  // minimum of 5 only the first group counts, so the worst group is 4 / 5.
  const result = groupAccuracy(
    Int32Array.from([0, 0, 0, 0, 1, 0]),
    Int32Array.from([0, 0, 0, 0, 0, 1]),
    Int32Array.from([0, 0, 0, 0, 0, 1]),
    2,
    2,
  );
  assert.equal(result.worstGroup, 0.8);
  assert.deepEqual(result.worst, { fg: 0, bg: 0 });
  assert.equal(result.groups[1][1], 0);
});
