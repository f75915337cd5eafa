import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../../src/core/rng.js";

test("random stream repeats for one seed", () => {
  const a = new Random("42:item-0").normals(8);
  const b = new Random("42:item-0").normals(8);
  assert.deepEqual(a, b);
});

test("random normals have unit moments", () => {
  const samples = new Random(7).normals(200_000);
  let sum = 0;
  let squares = 0;
  for (const value of samples) {
    sum += value;
    squares += value * value;
  }
  const mean = sum / samples.length;
  const variance = squares / samples.length - mean * mean;
  // Standard error of the mean is 1/sqrt(200000) = 0.0022, so 0.01 is about 4.5 sigma.
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
});

test("random seeds give unrelated streams", () => {
  assert.notEqual(new Random("1:a").nextUint32(), new Random("1:b").nextUint32());
});
