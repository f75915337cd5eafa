import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "../core/atomic.js";
import { formatOptionValue, OptionError, type OptionNamer } from "../core/option-error.js";
import { tf } from "./backend.js";
import type { HistoryEntry } from "./model.js";
import type { Parameters } from "./parameters.js";
import { readTensors, writeTensors, type StoredTensor, type TensorIndexEntry } from "./tensor-file.js";

/** Everything that training state is made of, by role. */
export interface TrainingState {
  step: number;
  history: HistoryEntry[];
  mineAverages: Array<number | null>;
  parameters: Record<string, Parameters>;
  /** Optimizers, or objects that hold an optimizer's state in its layout (OnnxCritic). */
  optimizers: Record<string, Pick<tf.Optimizer, "getWeights" | "setWeights">>;
}

interface CheckpointIndex {
  format: "d3s-checkpoint";
  /** Hash of the options and data the run started with; a resume must match it. */
  runKey: string;
  /** The options behind runKey (see runOptions); absent in checkpoints of older versions. */
  options?: Record<string, unknown>;
  step: number;
  history: HistoryEntry[];
  mineAverages: Array<number | null>;
  tensors: TensorIndexEntry[];
}

const INDEX_FILE = "checkpoint.json";
const TENSOR_FILE = "checkpoint.bin";

/** Options a resumed run may change: the step count, logging and checkpoint settings. */
const RESUMABLE_OPTIONS = ["steps", "logEvery", "checkpointDir", "checkpointEvery"];

/** Returns the options that identify a run: all but the step count, logging and checkpoints. */
export function runOptions(options: object): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...options };
  for (const key of RESUMABLE_OPTIONS) delete rest[key];
  return rest;
}

/**
 * Writes a checkpoint: every parameter and optimizer slot, the step, the history and MINE's
 * moving averages. The tensor file is written first and the index last, each atomically, so
 * an interrupted write leaves the previous checkpoint readable.
 */
export async function saveCheckpoint(
  dir: string,
  runKey: string,
  state: TrainingState,
  options: object = {},
): Promise<void> {
  const stored: StoredTensor[] = [];
  for (const [role, parameters] of Object.entries(state.parameters)) {
    for (const entry of parameters.snapshot()) stored.push({ ...entry, name: `${role}/${entry.name}` });
  }
  for (const [role, optimizer] of Object.entries(state.optimizers)) {
    const weights = await optimizer.getWeights();
    weights.forEach((weight, i) => {
      stored.push({
        name: `${role}#${i}`,
        shape: weight.tensor.shape,
        values: Float32Array.from(weight.tensor.dataSync() as Float32Array),
      });
    });
  }
  const tensorFile = `${TENSOR_FILE}.${state.step}`;
  const tensors = await writeTensors(dir, tensorFile, stored);
  const index: CheckpointIndex & { tensorFile: string } = {
    format: "d3s-checkpoint",
    runKey,
    options: runOptions(options),
    step: state.step,
    history: state.history,
    mineAverages: state.mineAverages,
    tensors,
    tensorFile,
  };
  await writeJsonAtomic(join(dir, INDEX_FILE), index);
  for (const name of await readdir(dir)) {
    if (name.startsWith(`${TENSOR_FILE}.`) && name !== tensorFile && !name.endsWith(".tmp")) {
      await rm(join(dir, name), { force: true });
    }
  }
}

/**
 * Restores a checkpoint into `state` and returns its step, or returns 0 when `dir` has none.
 * A checkpoint of another run (other options or data) is an OptionError naming the options that
 * differ from `options`, rather than a silent restart.
 */
export async function loadCheckpoint(
  dir: string,
  runKey: string,
  state: TrainingState,
  options: object = {},
): Promise<number> {
  let text: string;
  try {
    text = await readFile(join(dir, INDEX_FILE), "utf8");
  } catch {
    return 0;
  }
  const index = JSON.parse(text) as CheckpointIndex & { tensorFile: string };
  if (index.format !== "d3s-checkpoint" || index.runKey !== runKey) {
    throw checkpointMismatch(dir, index.options, runOptions(options));
  }
  const stored = new Map((await readTensors(dir, index.tensorFile, index.tensors)).map((t) => [t.name, t]));
  for (const [role, parameters] of Object.entries(state.parameters)) {
    parameters.restore(
      parameters.snapshot().map((entry) => {
        const saved = stored.get(`${role}/${entry.name}`);
        if (saved === undefined) throw new Error(`Checkpoint in ${dir} lacks ${role}/${entry.name}.`);
        return { ...saved, name: entry.name };
      }),
    );
  }
  for (const [role, optimizer] of Object.entries(state.optimizers)) {
    const weights: Array<{ name: string; tensor: tf.Tensor }> = [];
    for (let i = 0; stored.has(`${role}#${i}`); i++) {
      const saved = stored.get(`${role}#${i}`) as StoredTensor;
      weights.push({ name: `${role}#${i}`, tensor: tf.tensor(saved.values, saved.shape) });
    }
    if (weights.length > 0) await optimizer.setWeights(weights);
  }
  state.history.splice(0, state.history.length, ...index.history);
  state.mineAverages.splice(0, state.mineAverages.length, ...index.mineAverages);
  return index.step;
}

/**
 * Describes why a checkpoint belongs to another run: the options that differ, or other data
 * when they all match. Checkpoints without stored options get the general message.
 */
function checkpointMismatch(
  dir: string,
  saved: Record<string, unknown> | undefined,
  current: Record<string, unknown>,
): OptionError {
  const differences = (name: OptionNamer) =>
    Object.keys({ ...saved, ...current })
      .filter((key) => JSON.stringify(saved?.[key]) !== JSON.stringify(current[key]))
      .map((key) => `${name(key)} ${shown(saved?.[key])} there, ${shown(current[key])} now`);
  return new OptionError((name) => {
    const listed = differences(name);
    const reason =
      saved === undefined
        ? "other options or data"
        : listed.length > 0
          ? `other options (${listed.join("; ")})`
          : "the same options but other data";
    return (
      `The checkpoint in ${dir} belongs to a run with ${reason}. Use another ` +
      `${name("checkpointDir")}, or delete ${join(dir, INDEX_FILE)} to start over.`
    );
  });
}

function shown(value: unknown): string {
  return value === undefined ? "unset" : formatOptionValue(value);
}
