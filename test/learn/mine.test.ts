import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../../src/core/rng.js";
import { estimateMutualInformation } from "../../src/learn/mine.js";

test("MINE recovers Gaussian mutual information", async () => {
  // X, Y standard normal with correlation rho: I(X; Y) = -0.5 ln(1 - rho^2) nats (closed form).
  const rho = 0.8;
  const expected = -0.5 * Math.log(1 - rho * rho); // 0.5108 nats
  const n = 20000;
  const random = new Random(7);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = random.normal();
    y[i] = rho * x[i] + Math.sqrt(1 - rho * rho) * random.normal();
  }
  const estimate = await estimateMutualInformation(x, y, n, { steps: 1500, seed: 3 });
  assert.ok(
    Math.abs(estimate - expected) <= 0.1 * expected,
    `MINE estimate ${estimate.toFixed(4)} nats, expected ${expected.toFixed(4)} within 10%`,
  );
});
