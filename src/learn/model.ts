import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.js";
import { writeJsonAtomic } from "../core/atomic.js";
import { Random } from "../core/rng.js";
import { initTensorflow, tf } from "./backend.js";
import { exampleSize } from "./data.js";
import { InvariantNetwork, type NetworkSpec } from "./network.js";
import type { LearnOptions } from "./options.js";
import { readTensors, writeTensors, type TensorIndexEntry } from "./tensor-file.js";

/** One row of the loss curves, written every `logEvery` steps. */
export interface HistoryEntry {
  step: number;
  /** Cross-entropy of the foreground head on the step's batch. */
  fgLoss: number;
  /** Cross-entropy of the background head on the step's batch. */
  bgLoss: number;
  fgAccuracy: number;
  bgAccuracy: number;
  /** Critic estimate of I(fg features; bg labels); null while the penalty is off. */
  criticFg: number | null;
  /** Critic estimate of I(bg features; fg labels); null while the penalty is off. */
  criticBg: number | null;
  /** Seconds since training started. */
  seconds: number;
}

/** Foreground and background features of `n` examples, row-major. */
export interface SplitFeatures {
  fg: Float32Array;
  bg: Float32Array;
}

/** Logits and arg-max predictions of both heads. */
export interface Predictions {
  fgLogits: Float32Array;
  bgLogits: Float32Array;
  fg: Int32Array;
  bg: Int32Array;
}

const MODEL_FILE = "model.json";
const WEIGHTS_FILE = "weights.bin";
const FORMAT = "d3s-invariant-model";
const INFERENCE_BATCH = 256;

const savedModelSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  spec: z.custom<NetworkSpec>((value) => typeof value === "object" && value !== null),
  options: z.custom<LearnOptions>((value) => typeof value === "object" && value !== null),
  history: z.array(z.custom<HistoryEntry>()),
  tensors: z.array(z.custom<TensorIndexEntry>()),
});

/** A trained invariant network: split features, head predictions, loss history, save and load. */
export class TrainedModel {
  constructor(
    readonly network: InvariantNetwork,
    readonly options: LearnOptions,
    readonly history: HistoryEntry[],
  ) {}

  /** Sizes of the foreground and background feature parts. */
  get fgDim(): number {
    return this.network.spec.fgDim;
  }

  get bgDim(): number {
    return this.network.spec.bgDim;
  }

  /** Returns the foreground `[n, fgDim]` and background `[n, bgDim]` features of `n` inputs. */
  features(inputs: Float32Array, n: number): SplitFeatures {
    const fg = new Float32Array(n * this.fgDim);
    const bg = new Float32Array(n * this.bgDim);
    this.forEachBatch(inputs, n, (batch, start) => {
      const { fg: fgPart, bg: bgPart } = this.network.split(this.network.features(batch));
      fg.set(fgPart.dataSync(), start * this.fgDim);
      bg.set(bgPart.dataSync(), start * this.bgDim);
    });
    return { fg, bg };
  }

  /** Returns both heads' logits and arg-max classes for `n` inputs. */
  predict(inputs: Float32Array, n: number): Predictions {
    const { numFg, numBg } = this.network.spec;
    const result: Predictions = {
      fgLogits: new Float32Array(n * numFg),
      bgLogits: new Float32Array(n * numBg),
      fg: new Int32Array(n),
      bg: new Int32Array(n),
    };
    this.forEachBatch(inputs, n, (batch, start) => {
      const split = this.network.split(this.network.features(batch));
      const logits = this.network.logits(split.fg, split.bg);
      result.fgLogits.set(logits.fg.dataSync(), start * numFg);
      result.bgLogits.set(logits.bg.dataSync(), start * numBg);
      result.fg.set(tf.argMax(logits.fg, 1).dataSync(), start);
      result.bg.set(tf.argMax(logits.bg, 1).dataSync(), start);
    });
    return result;
  }

  /** Writes `dir/model.json` (spec, options, history, tensor index) and `dir/weights.bin`. */
  async save(dir: string): Promise<void> {
    const tensors = await writeTensors(dir, WEIGHTS_FILE, this.network.parameters.snapshot());
    await writeJsonAtomic(join(dir, MODEL_FILE), {
      format: FORMAT,
      version: 1,
      spec: this.network.spec,
      options: this.options,
      history: this.history,
      tensors,
    });
  }

  /** Reads a model written by `save`. */
  static async load(dir: string): Promise<TrainedModel> {
    await initTensorflow();
    const path = join(dir, MODEL_FILE);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      throw new UserError(`No trained model at ${dir}: ${MODEL_FILE} is missing. Run d3s learn first.`);
    }
    const parsed = savedModelSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new UserError(`${path} is not a d3s model file (${parsed.error.issues[0].message}).`);
    }
    const saved = parsed.data;
    const network = new InvariantNetwork(saved.spec, new Random(saved.options.seed));
    network.parameters.restore(await readTensors(dir, WEIGHTS_FILE, saved.tensors));
    return new TrainedModel(network, saved.options, saved.history);
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.network.parameters.dispose();
  }

  private forEachBatch(
    inputs: Float32Array,
    n: number,
    run: (batch: tf.Tensor, start: number) => void,
  ): void {
    const shape = this.network.spec.inputShape;
    const size = exampleSize(shape);
    if (inputs.length !== n * size) {
      throw new UserError(`Expected ${n} inputs of shape [${shape}] (${n * size} values), got ${inputs.length} values.`);
    }
    for (let start = 0; start < n; start += INFERENCE_BATCH) {
      const count = Math.min(INFERENCE_BATCH, n - start);
      tf.tidy(() => {
        const values = inputs.subarray(start * size, (start + count) * size);
        run(tf.tensor(values, [count, ...shape]), start);
      });
    }
  }
}
