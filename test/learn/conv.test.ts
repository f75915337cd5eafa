import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../../src/core/rng.js";
import { initTensorflow, tf } from "../../src/learn/backend.js";
import { conv2dSame } from "../../src/learn/conv.js";

// Naive float64 stride-1 "same" convolution (3x3 kernel: one pixel of zero padding per side).
function conv64(x: Float64Array, w: Float64Array, shape: number[], channelsOut: number): Float64Array {
  const [batch, height, width, channelsIn] = shape;
  const out = new Float64Array(batch * height * width * channelsOut);
  for (let b = 0; b < batch; b++)
    for (let y = 0; y < height; y++)
      for (let x0 = 0; x0 < width; x0++)
        for (let o = 0; o < channelsOut; o++) {
          let sum = 0;
          for (let i = 0; i < 3; i++)
            for (let j = 0; j < 3; j++) {
              const yy = y + i - 1;
              const xx = x0 + j - 1;
              if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
              for (let c = 0; c < channelsIn; c++) {
                const input = x[((b * height + yy) * width + xx) * channelsIn + c];
                sum += input * w[((i * 3 + j) * channelsIn + c) * channelsOut + o];
              }
            }
          out[((b * height + y) * width + x0) * channelsOut + o] = sum;
        }
  return out;
}

test("convolution gradients match differences", async () => {
  await initTensorflow();
  const shape = [2, 5, 4, 3];
  const channelsOut = 2;
  const random = new Random(3);
  const x = random.normals(2 * 5 * 4 * 3);
  const w = random.normals(3 * 3 * 3 * channelsOut);
  const r = random.normals(2 * 5 * 4 * channelsOut);
  // L = sum(conv(x, w) * r), so dL/dw and dL/dx are linear and central differences are exact.
  const [dx, dw] = tf.grads((xs: tf.Tensor, ws: tf.Tensor) =>
    tf.sum(tf.mul(conv2dSame(xs as tf.Tensor4D, ws as tf.Tensor4D), tf.tensor(r, [2, 5, 4, channelsOut]))),
  )([tf.tensor(x, shape), tf.tensor(w, [3, 3, 3, channelsOut])]);
  const loss = (xv: Float64Array, wv: Float64Array) =>
    conv64(xv, wv, shape, channelsOut).reduce((sum, value, i) => sum + value * r[i], 0);
  const x64 = Float64Array.from(x);
  const w64 = Float64Array.from(w);
  for (const [name, values, analytic] of [
    ["filter", w64, dw.dataSync()],
    ["input", x64, dx.dataSync()],
  ] as const) {
    for (let i = 0; i < values.length; i++) {
      const saved = values[i];
      values[i] = saved + 0.5;
      const plus = loss(x64, w64);
      values[i] = saved - 0.5;
      const minus = loss(x64, w64);
      values[i] = saved;
      const numeric = plus - minus;
      assert.ok(
        Math.abs(analytic[i] - numeric) <= 1e-4 * Math.max(1, Math.abs(numeric)),
        `${name}[${i}]: autodiff ${analytic[i]}, difference ${numeric}`,
      );
    }
  }
  // The forward pass agrees with the naive convolution too.
  const forward = conv2dSame(tf.tensor(x, shape) as tf.Tensor4D, tf.tensor(w, [3, 3, 3, channelsOut]) as tf.Tensor4D);
  const expected = conv64(x64, w64, shape, channelsOut);
  forward.dataSync().forEach((value, i) => assert.ok(Math.abs(value - expected[i]) <= 1e-4));
});
