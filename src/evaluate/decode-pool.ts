import { Worker } from "node:worker_threads";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { WORKER_READY, type DecodeResult, type DecodeTask, type WorkerTask } from "./decode-worker.js";
import type { PreprocessConfig } from "./preprocess-config.js";

// From TypeScript sources the worker starts through a small .mjs file that registers tsx.
const RUNS_FROM_SOURCE = extname(fileURLToPath(import.meta.url)) === ".ts";
const WORKER_URL = new URL(
  RUNS_FROM_SOURCE ? "./decode-worker-tsx.mjs" : "./decode-worker.js",
  import.meta.url,
);

interface PendingTask {
  worker: number;
  /** The caller's task id, restored in the result. */
  id: number;
  resolve: (result: DecodeResult) => void;
  reject: (error: Error) => void;
}

/**
 * Worker threads that decode and preprocess images while the main thread runs ONNX Runtime.
 * Each task goes to the worker with the fewest tasks in flight. Create the pool early: the
 * workers load their modules while the caller opens model sessions.
 */
export class DecodePool {
  private readonly workers: Worker[];
  private readonly load: number[];
  private readonly pending = new Map<number, PendingTask>();
  private readonly started: Promise<void>;
  private nextId = 0;
  private failure: Error | undefined;
  private rejectStart: (error: Error) => void = () => undefined;

  constructor(size: number) {
    const online: Array<Promise<void>> = [];
    const failed = new Promise<void>((_, reject) => (this.rejectStart = reject));
    failed.catch(() => undefined);
    this.workers = Array.from({ length: size }, (_, index) => {
      const worker = new Worker(WORKER_URL);
      online.push(
        new Promise((resolve) => {
          worker.on("message", (message: DecodeResult | typeof WORKER_READY) => {
            if (message === WORKER_READY) resolve();
            else this.settle(message);
          });
        }),
      );
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`decode worker ${index} exited with code ${code}`));
      });
      return worker;
    });
    this.load = this.workers.map(() => 0);
    this.started = Promise.race([Promise.all(online).then(() => undefined), failed]);
  }

  /** Resolves once every worker has loaded its modules (for benchmarks that time the work alone). */
  ready(): Promise<void> {
    return this.started;
  }

  /**
   * Sends a task and resolves with one tensor per config, or with the reason the image was
   * skipped. It rejects only when a worker itself fails.
   */
  decode(task: DecodeTask, configs: PreprocessConfig[]): Promise<DecodeResult> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.load.indexOf(Math.min(...this.load));
    const internalId = this.nextId++;
    this.load[worker] += 1;
    return new Promise((resolve, reject) => {
      this.pending.set(internalId, { worker, id: task.id, resolve, reject });
      const message: WorkerTask = { ...task, id: internalId, configs };
      this.workers[worker].postMessage(message);
    });
  }

  private settle(result: DecodeResult): void {
    const entry = this.pending.get(result.id);
    if (!entry) return;
    this.pending.delete(result.id);
    this.load[entry.worker] -= 1;
    entry.resolve({ ...result, id: entry.id });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.rejectStart(error);
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.failure ??= new Error("decode pool is closed");
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
