import ort from "onnxruntime-node";
import { classifyDataset } from "./src/evaluate/classify.ts";
import { loadDataset } from "./src/evaluate/datasets.ts";
import { presetConfig } from "./src/evaluate/preprocess-config.ts";
import { decodeForModels } from "./src/evaluate/decode-worker.ts";
import { silentProgress } from "./src/core/progress.ts";
import { loadavg } from "node:os";
import { DecodePool } from "./src/evaluate/decode-pool.ts";
const pool = new DecodePool(1); await pool.ready();
const MODEL = "bench/.work/resnet50.onnx";
const preprocess = presetConfig("torchvision-bicubic");
const dataset = await loadDataset("bench/.work/images");
dataset.items = dataset.items.slice(0, 96);
const tensors: Float32Array[] = [];
for (const item of dataset.items) tensors.push((await decodeForModels({ id: 0, path: item.path }, [preprocess]))[0]);
const s = await ort.InferenceSession.create(MODEL, { executionProviders: ["cpu"], intraOpNumThreads: 2, graphOptimizationLevel: "all" });
for (let round = 0; round < 3; round++) {
  let t = performance.now(); const runs: number[] = [];
  for (let i = 0; i < tensors.length; i += 16) { const d = new Float32Array(16 * tensors[0].length); tensors.slice(i, i+16).forEach((x, j) => d.set(x, j * x.length)); const a = performance.now(); await s.run({ input: new ort.Tensor("float32", d, [16, 3, 224, 224]) }); runs.push(performance.now() - a); }
  const cw = performance.now() - t;
  let inRun = 0; const druns: number[] = [];
  const model = { name: "m", kind: "onnx", source: MODEL, hash: "", preprocess, maxBatch: 1e9,
    run: async (b: Float32Array, n: number) => { const a = performance.now(); const r = await s.run({ input: new ort.Tensor("float32", b, [n, 3, 224, 224]) }); druns.push(performance.now() - a); const l = r.logits.data as Float32Array; return { logits: l, outputs: l.length / n }; }, close: async () => {} };
  t = performance.now();
  await classifyDataset(dataset, [model as never], { workers: 1, batchSize: 16, progress: silentProgress, stage: "x", pool });
  const dw = performance.now() - t;
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  console.log(`load=${loadavg()[0].toFixed(1)} ceiling wall=${cw.toFixed(0)} runs=[${runs.map(r=>r.toFixed(0)).join(",")}] | d3s wall=${dw.toFixed(0)} inRun=${sum(druns).toFixed(0)} runs=[${druns.map(r=>r.toFixed(0)).join(",")}]`);
}

await pool.close();
