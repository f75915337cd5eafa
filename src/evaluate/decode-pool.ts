import { Worker } from "node:worker_threads";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { DecodeResult, DecodeTask, DecodeWorkerData } from "./decode-worker.js";
import type { PreprocessConfig } from "./preprocess-config.js";

// From TypeScript sources the worker starts through a small .mjs file that registers tsx.
const RUNS_FROM_SOURCE = extname(fileURLToPath(import.meta.url)) === ".ts";
const WORKER_URL = new URL(
  RUNS_FROM_SOURCE ? "./decode-worker-tsx.mjs" : "./decode-worker.js",
  import.meta.url,
);

interface PendingTask {
  worker: number;
  resolve: (result: DecodeResult) => void;
  reject: (error: Error) => void;
}

/**
 * Worker threads that decode and preprocess images while the main thread runs ONNX Runtime.
 * Each task goes to the worker with the fewest tasks in flight.
 */
export class DecodePool {
  private readonly workers: Worker[];
  private readonly load: number[];
  private readonly pending = new Map<number, PendingTask>();
  private failure: Error | undefined;

  constructor(size: number, configs: PreprocessConfig[]) {
    const workerData: DecodeWorkerData = { configs };
    this.workers = Array.from({ length: size }, (_, index) => {
      const worker = new Worker(WORKER_URL, { workerData });
      worker.on("message", (result: DecodeResult) => this.settle(result));
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`decode worker ${index} exited with code ${code}`));
      });
      return worker;
    });
    this.load = this.workers.map(() => 0);
  }

  /** Sends a task and resolves with its result. It rejects only when a worker itself fails. */
  decode(task: DecodeTask): Promise<DecodeResult> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.load.indexOf(Math.min(...this.load));
    this.load[worker] += 1;
    return new Promise((resolve, reject) => {
      this.pending.set(task.id, { worker, resolve, reject });
      this.workers[worker].postMessage(task);
    });
  }

  private settle(result: DecodeResult): void {
    const entry = this.pending.get(result.id);
    if (!entry) return;
    this.pending.delete(result.id);
    this.load[entry.worker] -= 1;
    entry.resolve(result);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
