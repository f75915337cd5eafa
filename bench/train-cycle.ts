// Benchmark of one training cycle of `d3s learn` on cached features: 5 Wasserstein critic steps
// with gradient penalty plus 1 model step, 2048-d features split 1798 + 250, batch 64, 1000
// foreground and 10 background classes. Both engines are timed: `tfjs` (TensorFlow.js wasm)
// and `onnx` (ONNX Runtime graphs, src/learn/onnx-engine). Compared side by side with (a) the
// machine's matrix multiply ceiling, an ONNX Runtime MatMul measured in this run, and (b) the
// same cycle in PyTorch (peer script). Run with `npm run bench:train`. The last line is
// `ratio_vs_ceiling=X ratio_vs_pytorch=Y` for the faster engine.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { peerScript } from "./peers.js";
import { Random } from "../src/core/rng.js";
import { halvingWidths } from "../src/learn/critic.js";
import { initTensorflow, tf } from "../src/learn/backend.js";
import { parseLearnOptions } from "../src/learn/options.js";
import { Trainer } from "../src/learn/trainer.js";
import { GraphBuilder } from "../src/onnx/graph.js";
import { openSession, ort } from "../src/onnx/session.js";

const PEER = process.env.D3S_PEER_TRAIN ?? peerScript("peer_train_torch.py");
const PYTHON = process.env.D3S_PYTHON ?? "/usr/bin/python3";
const CYCLES = Number(process.env.D3S_BENCH_CYCLES ?? 10);
const D = 2048;
const BG = 250;
const FG = D - BG;
const BATCH = 64;
const NUM_FG = 1000;
const NUM_BG = 10;
// The peer runs torch with 2 threads; ONNX Runtime gets the same for the ceiling.
const THREADS = 2;

/** FLOPs of a batch-64 forward pass through linear layers of the given widths. */
function mlpFlops(inputDim: number, widths: number[]): number {
  let flops = 0;
  let previous = inputDim;
  for (const width of widths) {
    flops += 2 * BATCH * previous * width;
    previous = width;
  }
  return flops;
}

/**
 * Matrix-multiply FLOPs of one cycle, counting a backward pass as twice its forward pass.
 * Critic step: T on joint, shuffled and interpolated pairs plus the dT/dx chain (4 forward
 * equivalents), then backward (x3). Model step: projection and heads forward and backward,
 * and both critics on joint and shuffled pairs, forward and backward to the features.
 */
function cycleFlops(): number {
  const fgInput = FG + Math.round(0.2 * FG);
  const bgInput = BG + Math.round(0.2 * BG);
  const criticFg = mlpFlops(fgInput, halvingWidths(fgInput));
  const criticBg = mlpFlops(bgInput, halvingWidths(bgInput));
  const projection = 2 * BATCH * D * D;
  const heads = 2 * BATCH * (FG * NUM_FG + BG * NUM_BG);
  const criticStep = projection + 3 * 4 * (criticFg + criticBg);
  const modelStep = 3 * (projection + heads) + 3 * 2 * (criticFg + criticBg);
  return 5 * criticStep + modelStep;
}

async function measureCycle(engine: "tfjs" | "onnx"): Promise<number> {
  await initTensorflow("wasm");
  const random = new Random(0);
  const n = 512;
  const data = {
    inputs: random.normals(n * D),
    inputShape: [D],
    fgLabels: Int32Array.from({ length: n }, () => random.int(NUM_FG)),
    bgLabels: Int32Array.from({ length: n }, () => random.int(NUM_BG)),
    numFg: NUM_FG,
    numBg: NUM_BG,
  };
  const options = parseLearnOptions({
    backbone: "projection",
    featureDim: D,
    bgDim: BG,
    pretrainSteps: 0,
    steps: 1000,
    batchSize: BATCH,
    learningRate: 5e-3,
    criticLearningRate: 5e-3,
    logEvery: 1000,
    engine,
  });
  const trainer = new Trainer(data, n, options);
  // The first cycle builds the ONNX Runtime sessions and TF.js kernels; it is not timed.
  await trainer.step(0, Date.now());
  const started = performance.now();
  for (let step = 1; step <= CYCLES; step++) await trainer.step(step, Date.now());
  return (performance.now() - started) / CYCLES;
}

async function measureTfjsMatMul(backend: "wasm" | "cpu"): Promise<number> {
  if (backend === "cpu") await import("@tensorflow/tfjs-backend-cpu");
  await tf.setBackend(backend);
  const a = tf.randomNormal([BATCH, D]);
  const b = tf.randomNormal([D, D]);
  tf.matMul(a, b).dataSync();
  const repeats = backend === "cpu" ? 2 : 20;
  const started = performance.now();
  for (let i = 0; i < repeats; i++) tf.tidy(() => tf.matMul(a, b).dataSync());
  const ms = (performance.now() - started) / repeats;
  return (2 * BATCH * D * D) / (ms / 1000);
}

/** Best FLOP/s of an ONNX Runtime MatMul [rows, 2048] x [2048, 2048] with 2 threads. */
async function measureCeiling(rows: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "d3s-bench-"));
  try {
    const graph = new GraphBuilder(
      [{ name: "x", type: "float", shape: [rows, D] }],
      [{ name: "y", type: "float", shape: [rows, D] }],
    );
    graph.node("MatMul", ["x", graph.constant(new Random(1).normals(D * D), [D, D])], {}, ["y"]);
    const path = join(dir, "matmul.onnx");
    await writeFile(path, graph.build().model);
    const session = await openSession(path, { threads: THREADS });
    const feeds = { x: new ort.Tensor("float32", new Random(2).normals(rows * D), [rows, D]) };
    await session.run(feeds);
    let best = Infinity;
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      for (let i = 0; i < 10; i++) await session.run(feeds);
      best = Math.min(best, (performance.now() - started) / 10);
    }
    await session.release();
    return (2 * rows * D * D) / (best / 1000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function measurePeer(): number {
  const result = spawnSync(PYTHON, [PEER], { encoding: "utf8" });
  const match = /torch_cycle_ms=([\d.]+)/.exec(result.stdout);
  if (result.status !== 0 || match === null) {
    throw new Error(`Peer ${PEER} failed: ${result.stderr || result.stdout}`);
  }
  return Number(match[1]);
}

console.log(`load_average_before=${loadavg()[0].toFixed(2)}`);
const flops = cycleFlops();
const ceilingCycleShape = await measureCeiling(BATCH);
const ceilingLarge = await measureCeiling(1024);
const ceiling = Math.max(ceilingCycleShape, ceilingLarge);
const onnxMs = await measureCycle("onnx");
const loadAfterOnnx = loadavg()[0];
const tfjsMs = await measureCycle("tfjs");
const loadAfterTfjs = loadavg()[0];
const torchMs = measurePeer();
const wasmMatMul = await measureTfjsMatMul("wasm");
const cpuMatMul = await measureTfjsMatMul("cpu");
const gflops = (value: number) => (value / 1e9).toFixed(1);
const achieved = (ms: number) => flops / (ms / 1000);
const fastest = Math.min(onnxMs, tfjsMs);
console.log(`cycle_gflop=${(flops / 1e9).toFixed(2)} (estimate: matrix products only)`);
console.log(`ort_matmul_gflops: batch64=${gflops(ceilingCycleShape)} batch1024=${gflops(ceilingLarge)} threads=${THREADS}`);
console.log(`tfjs_matmul_gflops (64x2048x2048): wasm=${gflops(wasmMatMul)} cpu=${gflops(cpuMatMul)}`);
console.log(`onnx_cycle_ms=${onnxMs.toFixed(1)} achieved_gflops=${gflops(achieved(onnxMs))} load_after=${loadAfterOnnx.toFixed(2)}`);
console.log(`tfjs_wasm_cycle_ms=${tfjsMs.toFixed(1)} achieved_gflops=${gflops(achieved(tfjsMs))} load_after=${loadAfterTfjs.toFixed(2)}`);
console.log(`torch_cycle_ms=${torchMs.toFixed(1)} torch_gflops=${gflops(flops / (torchMs / 1000))}`);
console.log(`faster_engine=${onnxMs <= tfjsMs ? "onnx" : "tfjs"}`);
console.log(`load_average_after=${loadavg()[0].toFixed(2)}`);
console.log(`ratio_vs_ceiling=${(achieved(fastest) / ceiling).toFixed(3)} ratio_vs_pytorch=${(torchMs / fastest).toFixed(3)}`);
