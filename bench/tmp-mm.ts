import { initTensorflow, tf } from "../src/learn/backend.js";
await initTensorflow("wasm");
function time(name: string, flops: number, f: () => tf.Tensor) {
  tf.tidy(() => { f().dataSync(); }); const s = performance.now(); const k = 5;
  for (let i = 0; i < k; i++) tf.tidy(() => { f().dataSync(); });
  const ms = (performance.now() - s) / k; console.log(name, ms.toFixed(1), "ms", (flops / ms / 1e6).toFixed(1), "GFLOP/s");
}
const x = tf.randomNormal([64, 2158]), w = tf.randomNormal([2158, 1079]), dy = tf.randomNormal([64, 1079]);
const F = 2 * 64 * 2158 * 1079;
time("forward x·W cached", F, () => tf.matMul(x, w));
time("forward x·W fresh", F, () => tf.matMul(x, tf.add(w, 0)));
time("dy·transpose(W) fresh", F, () => tf.matMul(dy, tf.transpose(tf.add(w, 0))));
time("transpose(x)·dy", F, () => tf.matMul(tf.transpose(x), dy));
time("transpose(transpose(dy)·x)", F, () => tf.transpose(tf.matMul(tf.transpose(dy), x)));
time("add only", 0, () => tf.add(w, 0));
