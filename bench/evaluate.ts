// Benchmark of `d3s evaluate` throughput: end-to-end images/s over real JPEGs with a
// ResNet-50-architecture ONNX model (random weights), against (a) ONNX Runtime alone on
// pre-decoded tensors, the ceiling, and (b) PyTorch with torchvision's ImageFolder loader.
// Run with `npm run bench:evaluate`. The last line is `ratio_vs_ceiling=X ratio_vs_pytorch=Y`.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { peerScript } from "./peers.js";
import sharp from "sharp";
import { classifyDataset } from "../src/evaluate/classify.js";
import { loadDataset } from "../src/evaluate/datasets.js";
import { loadModel } from "../src/evaluate/models.js";
import { DecodePool } from "../src/evaluate/decode-pool.js";
import { decodeForModels } from "../src/evaluate/decode-worker.js";
import { openSession, ort } from "../src/onnx/session.js";
import { silentProgress } from "../src/core/progress.js";

const WORK = join(import.meta.dirname, ".work");
const MODEL = join(WORK, "resnet50.onnx");
const IMAGES = join(WORK, "images");
const PHOTOS = "/usr/share/darknet/data";
const PEER = process.env.D3S_PEER_EVAL ?? peerScript("peer_eval_torch.py");
const PYTHON = process.env.D3S_PYTHON ?? "/usr/bin/python3";
const IMAGE_COUNT = Number(process.env.D3S_BENCH_IMAGES ?? 192);
const BATCH = 16;
// The peer uses 2 torch threads and 1 loader process; d3s gets the same: 2 ORT threads, 1 worker.
const THREADS = 2;
const WORKERS = 1;
const PRESET = "torchvision-bicubic";
const ROUNDS = Number(process.env.D3S_BENCH_ROUNDS ?? 5);

async function prepare(): Promise<void> {
  await mkdir(WORK, { recursive: true });
  if (!existsSync(MODEL)) {
    const result = spawnSync(PYTHON, [join(import.meta.dirname, "evaluate", "export_resnet50.py"), MODEL], { stdio: "inherit" });
    if (result.status !== 0) throw new Error("ResNet-50 export failed; install python3-torch and python3-torchvision");
  }
  if (existsSync(IMAGES) && readdirSync(join(IMAGES, "0")).length * 4 >= IMAGE_COUNT) return;
  // Replicate the darknet sample photos at several widths into 4 numeric class folders.
  const photos = readdirSync(PHOTOS).filter((name) => name.endsWith(".jpg")).sort();
  const widths = [640, 500, 800, 375];
  for (let i = 0; i < IMAGE_COUNT; i++) {
    const folder = join(IMAGES, String(i % 4));
    await mkdir(folder, { recursive: true });
    await sharp(join(PHOTOS, photos[i % photos.length]))
      .resize({ width: widths[Math.floor(i / photos.length) % widths.length] })
      .jpeg({ quality: 90 })
      .toFile(join(folder, `${String(i).padStart(5, "0")}.jpg`));
  }
}

/**
 * d3s: worker decode and preprocessing overlapped with batched ORT inference. Like the ceiling's
 * session creation, starting the workers is setup and is not timed (evaluate overlaps it with
 * opening the sessions).
 */
async function measureD3s(): Promise<number> {
  const dataset = await loadDataset(IMAGES);
  const pool = new DecodePool(WORKERS);
  const model = await loadModel({ path: MODEL, preprocess: PRESET }, {
    device: "cpu",
    threads: THREADS,
    defaultPreprocess: PRESET,
    cacheDir: WORK,
  });
  try {
    await pool.ready();
    const started = performance.now();
    await classifyDataset(dataset, [model], { workers: WORKERS, batchSize: BATCH, progress: silentProgress, stage: "bench", pool });
    return dataset.items.length / ((performance.now() - started) / 1000);
  } finally {
    await pool.close();
    await model.close();
  }
}

/** Ceiling: the same session and batches on tensors decoded beforehand. */
async function measureCeiling(): Promise<number> {
  const dataset = await loadDataset(IMAGES);
  const model = await loadModel({ path: MODEL, preprocess: PRESET }, {
    device: "cpu",
    threads: THREADS,
    defaultPreprocess: PRESET,
    cacheDir: WORK,
  });
  const tensors: Float32Array[] = [];
  for (const item of dataset.items) tensors.push((await decodeForModels({ id: 0, path: item.path }, [model.preprocess]))[0]);
  const length = tensors[0].length;
  const session = await openSession(MODEL, { threads: THREADS });
  try {
    const started = performance.now();
    for (let start = 0; start < tensors.length; start += BATCH) {
      const batch = tensors.slice(start, start + BATCH);
      const data = new Float32Array(batch.length * length);
      batch.forEach((tensor, i) => data.set(tensor, i * length));
      await session.run({ input: new ort.Tensor("float32", data, [batch.length, 3, 224, 224]) });
    }
    return tensors.length / ((performance.now() - started) / 1000);
  } finally {
    await session.release();
    await model.close();
  }
}

function measurePytorch(): number {
  const result = spawnSync(PYTHON, [PEER, IMAGES], { encoding: "utf8" });
  const match = /torch_e2e_img_per_s=([\d.]+)/.exec(result.stdout);
  if (!match) throw new Error(`peer failed: ${result.stderr.slice(-2000)}`);
  return Number(match[1]);
}

async function main(): Promise<void> {
  // 1. Inputs: the exported model and the JPEG folder.
  await prepare();
  console.log(`images=${IMAGE_COUNT} batch=${BATCH} ort_threads=${THREADS} workers=${WORKERS} cores=${availableParallelism()} load=${loadavg()[0].toFixed(1)}`);

  // 2. Paired rounds, alternating which runs first: the machine may be shared, so each round's
  //    ratio compares two runs made back to back, and the median ratio is reported.
  const ratios: number[] = [];
  const d3s: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let ceiling: number;
    let ours: number;
    if (round % 2 === 0) {
      ceiling = await measureCeiling();
      ours = await measureD3s();
    } else {
      ours = await measureD3s();
      ceiling = await measureCeiling();
    }
    ratios.push(ours / ceiling);
    d3s.push(ours);
    console.log(`round ${round}: ceiling_img_per_s=${ceiling.toFixed(2)} d3s_img_per_s=${ours.toFixed(2)} ratio=${(ours / ceiling).toFixed(3)}`);
  }

  // 3. The PyTorch peer on the same folder, compared with the median d3s throughput.
  const pytorch = measurePytorch();
  const ours = median(d3s);
  console.log(`d3s_img_per_s=${ours.toFixed(2)} pytorch_img_per_s=${pytorch.toFixed(2)} load=${loadavg()[0].toFixed(1)}`);
  console.log(`ratio_vs_ceiling=${median(ratios).toFixed(3)} ratio_vs_pytorch=${(ours / pytorch).toFixed(3)}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

await main();
