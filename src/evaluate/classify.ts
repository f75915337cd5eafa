import { UserError } from "../core/errors.js";
import type { ProgressListener } from "../core/progress.js";
import { restrictLogits, type ClassMap } from "./class-map.js";
import type { Dataset } from "./datasets.js";
import { DecodePool } from "./decode-pool.js";
import type { DecodeResult } from "./decode-worker.js";
import type { Classifier } from "./onnx-classifier.js";
import { preprocessKey, type PreprocessConfig } from "./preprocess-config.js";
import { tensorLength } from "./preprocess.js";

/** The top-5 predictions of one model on every image of a dataset. */
export interface ModelPredictions {
  /** Five model output indices per image, best first, or -1 for unreadable images. */
  top5: Int32Array;
  /** Five target labels per image from the restricted logits, when a class map is given. */
  restrictedTop5?: Int32Array;
  /** Number of model outputs. */
  outputs: number;
}

/** Predictions of every model on one dataset, and the images that could not be read. */
export interface DatasetPredictions {
  /** Whether each image was read. */
  readable: Uint8Array;
  skipped: Array<{ file: string; reason: string }>;
  models: ModelPredictions[];
}

/** Options of classifyDataset. */
export interface ClassifyOptions {
  /** Decode worker threads. */
  workers: number;
  /** Images per ONNX Runtime call. */
  batchSize: number;
  classMap?: ClassMap;
  progress: ProgressListener;
  /** Progress stage name. */
  stage: string;
  /** Decode workers to use; none starts `workers` threads for this call and stops them after. */
  pool?: DecodePool;
}

const TOP_K = 5;

/**
 * Writes the indices of the 5 largest of `scores[offset .. offset + n)` into `out[at .. at + 5)`,
 * best first. Ties keep the lower index first, as argmax does. Fewer than 5 scores leave -1.
 */
export function topK(scores: Float32Array, offset: number, n: number, out: Int32Array, at: number): void {
  const k = Math.min(TOP_K, n);
  const best = new Float64Array(TOP_K).fill(-Infinity);
  out.fill(-1, at, at + TOP_K);
  let filled = 0;
  for (let i = 0; i < n; i++) {
    const score = scores[offset + i];
    const value = Number.isNaN(score) ? -Infinity : score;
    if (filled === k && value <= best[k - 1]) continue;
    let slot = filled < k ? filled++ : k - 1;
    while (slot > 0 && value > best[slot - 1]) {
      best[slot] = best[slot - 1];
      out[at + slot] = out[at + slot - 1];
      slot -= 1;
    }
    best[slot] = value;
    out[at + slot] = i;
  }
}

interface ReadyItem {
  index: number;
  tensors: Float32Array[];
}

/**
 * Classifies every image of a dataset with every model in one pass. Worker threads decode and
 * preprocess (once per distinct preprocessing) while ONNX Runtime runs the previous batch. At
 * most `2 x batchSize + 2 x workers` images are held in memory at any time.
 */
export async function classifyDataset(
  dataset: Dataset,
  models: Classifier[],
  options: ClassifyOptions,
): Promise<DatasetPredictions> {
  // 1. One tensor per distinct preprocessing, shared by the models that use it.
  const keys: string[] = [];
  const configs: PreprocessConfig[] = [];
  const configOf = models.map((model) => {
    const key = preprocessKey(model.preprocess);
    if (!keys.includes(key)) {
      keys.push(key);
      configs.push(model.preprocess);
    }
    return keys.indexOf(key);
  });
  const n = dataset.items.length;
  const result: DatasetPredictions = {
    readable: new Uint8Array(n),
    skipped: [],
    models: models.map(() => ({ top5: new Int32Array(n * TOP_K).fill(-1), outputs: 0 })),
  };
  if (options.classMap) {
    for (const model of result.models) model.restrictedTop5 = new Int32Array(n * TOP_K).fill(-1);
  }

  // 2. Keep the workers busy with a bounded queue, and run models on each full batch.
  const pool = options.pool ?? new DecodePool(options.workers);
  const limit = 2 * options.batchSize + 2 * options.workers;
  const ready: ReadyItem[] = [];
  let submitted = 0;
  let inFlight = 0;
  let done = 0;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const onResult = (reply: DecodeResult) => {
    inFlight -= 1;
    const item = dataset.items[reply.id];
    if ("error" in reply) {
      result.skipped.push({ file: item.file, reason: reply.error });
      done += 1;
    } else {
      result.readable[reply.id] = 1;
      ready.push({ index: reply.id, tensors: reply.tensors });
    }
    fill();
    wake?.();
  };
  const fill = () => {
    while (submitted < n && inFlight + ready.length < limit) {
      const item = dataset.items[submitted];
      inFlight += 1;
      pool
        .decode({ id: submitted, path: item.path, crop: item.crop, expectedSize: item.expectedSize }, configs)
        .then(onResult, (error: Error) => {
          failure = error;
          wake?.();
        });
      submitted += 1;
    }
  };
  try {
    fill();
    options.progress({ stage: options.stage, done: 0, total: n });
    while (done < n) {
      const finished = submitted === n && inFlight === 0;
      if (failure) throw failure;
      if (ready.length < options.batchSize && !finished) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const batch = ready.splice(0, options.batchSize);
      fill();
      if (batch.length > 0) await runBatch(batch, models, configOf, configs, result, options.classMap);
      done += batch.length;
      options.progress({ stage: options.stage, done, total: n });
    }
  } finally {
    if (options.pool === undefined) await pool.close();
  }
  return result;
}

async function runBatch(
  batch: ReadyItem[],
  models: Classifier[],
  configOf: number[],
  configs: PreprocessConfig[],
  result: DatasetPredictions,
  classMap: ClassMap | undefined,
): Promise<void> {
  const stacked = configs.map((config, c) => {
    const length = tensorLength(config);
    const data = new Float32Array(batch.length * length);
    batch.forEach((item, i) => data.set(item.tensors[c], i * length));
    return { data, length };
  });
  for (let m = 0; m < models.length; m++) {
    const model = models[m];
    const { data, length } = stacked[configOf[m]];
    const step = Math.min(model.maxBatch, batch.length);
    for (let start = 0; start < batch.length; start += step) {
      const count = Math.min(step, batch.length - start);
      const input = data.subarray(start * length, (start + count) * length);
      const { logits, outputs } = await model.run(input, count);
      const predictions = result.models[m];
      predictions.outputs = outputs;
      if (classMap && classMap.maxOutput >= outputs) {
        throw new UserError(
          `Class map "${classMap.name}" names output index ${classMap.maxOutput}, but model ` +
            `${model.name} has output size ${outputs}. Use a class map for this model's label space.`,
        );
      }
      const restricted = classMap ? restrictLogits(logits, count, outputs, classMap) : undefined;
      for (let i = 0; i < count; i++) {
        const index = batch[start + i].index;
        topK(logits, i * outputs, outputs, predictions.top5, index * TOP_K);
        if (restricted && predictions.restrictedTop5) {
          const labels = classMap!.members.length;
          topK(restricted, i * labels, labels, predictions.restrictedTop5, index * TOP_K);
        }
      }
    }
  }
}
