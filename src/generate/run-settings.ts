import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "../core/atomic.js";
import { UserError } from "../core/errors.js";
import type { GenerateOptions } from "./options.js";

/**
 * Returns the options that change an item's bytes, and the model folder hash when known; a
 * split folder keeps one set of them.
 */
export function byteSettings(
  options: GenerateOptions,
  modelHash?: string,
): Record<string, unknown> {
  const settings: Record<string, unknown> = {
    generator: options.generator,
    seed: options.seed,
    size: options.size,
    fgScale: options.fgScale,
    masks:
      options.masks === undefined ? (options.maskModel === undefined ? "none" : "model") : "folder",
  };
  if (options.maskModel !== undefined) {
    settings.maskThreshold = options.maskThreshold;
    settings.maskNormalize = options.maskNormalize;
  }
  if (options.generator === "img2img") {
    Object.assign(settings, {
      scheduler: options.scheduler,
      steps: options.steps,
      strength: options.strength,
      guidance: options.guidance,
      negativePrompt: options.negativePrompt,
    });
  }
  if (modelHash !== undefined) settings.modelHash = modelHash;
  return settings;
}

/**
 * Checks the byte-relevant settings against those recorded in `<split>/settings.json`, so a
 * re-run never mixes images made with different settings in one split. Batch size, shard,
 * device and threads are left out because they do not change any bytes. Only the keys of the
 * current settings are compared, so a check before the model is loaded skips its hash.
 */
export async function checkRunSettings(
  splitFolder: string,
  options: GenerateOptions,
  modelHash?: string,
): Promise<void> {
  const settings = byteSettings(options, modelHash);
  let recorded: Record<string, unknown> | undefined;
  try {
    recorded = JSON.parse(await readFile(settingsPath(splitFolder), "utf8")) as Record<
      string,
      unknown
    >;
  } catch {
    return;
  }
  const differences = Object.keys(settings)
    .filter((key) => JSON.stringify(recorded[key]) !== JSON.stringify(settings[key]))
    .map(
      (key) =>
        `${key}: ${JSON.stringify(recorded[key])} before, ${JSON.stringify(settings[key])} now`,
    );
  if (differences.length > 0) {
    throw new UserError(
      `${splitFolder} was generated with other settings (${differences.join("; ")}). ` +
        "Use the same settings to resume, or another --out or --split.",
    );
  }
}

/** Records the byte-relevant settings of a split, once its run has opened its models. */
export async function recordRunSettings(
  splitFolder: string,
  options: GenerateOptions,
  modelHash?: string,
): Promise<void> {
  await writeJsonAtomic(settingsPath(splitFolder), byteSettings(options, modelHash));
}

function settingsPath(splitFolder: string): string {
  return join(splitFolder, "settings.json");
}
