import { mkdir } from "node:fs/promises";
import { hashBytes } from "../core/hash.js";
import { logger } from "../core/log.js";
import { silentProgress, type ProgressListener } from "../core/progress.js";
import { initTensorflow } from "./backend.js";
import { loadCheckpoint, runOptions, saveCheckpoint } from "./checkpoint.js";
import { validateLearnData, type LearnData } from "./data.js";
import { TrainedModel } from "./model.js";
import { parseLearnOptions, type LearnOptionsInput } from "./options.js";
import { Trainer } from "./trainer.js";

export type { LearnData } from "./data.js";
export type { HistoryEntry, Predictions, SplitFeatures } from "./model.js";
export { TrainedModel } from "./model.js";
export { learnOptionsSchema, parseLearnOptions } from "./options.js";
export type { LearnOptions, LearnOptionsInput } from "./options.js";

/**
 * Trains a representation whose foreground features carry no background information and whose
 * background features carry no foreground information:
 *
 *   loss = alpha * (CE(fg head, fg labels) + CE(bg head, bg labels))
 *        + penaltyWeight * (I(fg features; bg labels) + I(bg features; fg labels))
 *
 * Each I is estimated by a critic (Wasserstein with gradient penalty, or MINE) that takes
 * `criticSteps` updates before every model update, after `pretrainSteps` plain steps.
 * With `checkpointDir` set, training resumes from the checkpoint there and writes a new one
 * every `checkpointEvery` steps and after the last step.
 */
export async function trainInvariant(
  data: LearnData,
  input: LearnOptionsInput = {},
  progress: ProgressListener = silentProgress,
): Promise<TrainedModel> {
  // 1. Validate options and data before any tensor exists.
  const options = parseLearnOptions(input);
  const n = validateLearnData(data, options.backbone);
  await initTensorflow();

  // 2. Build the network, critics and optimizers from the seed.
  const trainer = new Trainer(data, n, options);

  // 3. Resume from a checkpoint of the same run when there is one.
  const runKey = runFingerprint(data, options);
  let first = 0;
  if (options.checkpointDir !== undefined) {
    await mkdir(options.checkpointDir, { recursive: true });
    const state = trainer.state(0);
    first = await loadCheckpoint(options.checkpointDir, runKey, state, options);
    trainer.restoreAverages(state.mineAverages);
    if (first > 0) logger().info({ step: first, dir: options.checkpointDir }, "resuming training");
  }

  // 4. Alternate critic and model updates, logging and checkpointing along the way.
  const startedAt = Date.now() - 1000 * (trainer.history.at(-1)?.seconds ?? 0);
  for (let step = first; step < options.steps; step++) {
    await trainer.step(step, startedAt);
    const last = trainer.history.at(-1);
    progress({
      stage: "learn",
      unit: "steps",
      done: step + 1,
      total: options.steps,
      status: last ? `fg ${last.fgLoss.toFixed(3)} bg ${last.bgLoss.toFixed(3)}` : "",
    });
    const due = (step + 1) % options.checkpointEvery === 0 || step + 1 === options.steps;
    if (options.checkpointDir !== undefined && due) {
      await saveCheckpoint(options.checkpointDir, runKey, trainer.state(step + 1), options);
    }
  }

  // 5. Keep the network and history. Critics and optimizer moments are only needed for training.
  trainer.pushParameters();
  await trainer.onnxProjection?.dispose();
  for (const term of [trainer.fgTerm, trainer.bgTerm]) {
    term?.critic.parameters.dispose();
    term?.optimizer.dispose();
    await term?.onnxCritic?.dispose();
  }
  trainer.optimizer.dispose();
  return new TrainedModel(trainer.network, options, trainer.history);
}

/**
 * Hashes the options and a sample of the data, so a checkpoint is only resumed by its own run.
 * The step count, logging and checkpoint settings are left out, so a finished run can be
 * extended with more steps.
 */
function runFingerprint(data: LearnData, options: object): string {
  const rest = runOptions(options);
  const sample = data.inputs.subarray(0, Math.min(data.inputs.length, 4096));
  return hashBytes(
    JSON.stringify(rest) +
      JSON.stringify([data.inputShape, data.numFg, data.numBg, data.inputs.length]) +
      hashBytes(new Uint8Array(sample.buffer, sample.byteOffset, sample.byteLength)) +
      hashBytes(new Uint8Array(data.fgLabels.buffer, data.fgLabels.byteOffset, data.fgLabels.byteLength)) +
      hashBytes(new Uint8Array(data.bgLabels.buffer, data.bgLabels.byteOffset, data.bgLabels.byteLength)),
  );
}
