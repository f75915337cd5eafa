import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.js";
import { openSession, ort, type SessionOptions } from "../onnx/session.js";
import { hasRandomNormal, rewriteRandomNormal } from "./encoder-noise.js";
import { FLOAT_TYPES, ModelPart, type InputSpec } from "./model-part.js";
import { parseSchedulerConfig, type SchedulerConfig } from "./schedulers/config.js";
import { ClipTokenizer } from "./tokenizer.js";
import { pathExists } from "../core/files.js";

/** Latent scale of Stable Diffusion 1.x and 2.x VAEs, used when no config names one. */
export const DEFAULT_SCALING_FACTOR = 0.18215;

/** The model files of a diffusers-style ONNX folder, relative to it. */
export const MODEL_FILES = {
  textEncoder: "text_encoder/model.onnx",
  unet: "unet/model.onnx",
  vaeEncoder: "vae_encoder/model.onnx",
  vaeDecoder: "vae_decoder/model.onnx",
} as const;
const SCHEDULER_FILE = "scheduler/scheduler_config.json";
const INDEX_FILE = "model_index.json";

/** A loaded, validated Stable Diffusion ONNX folder. */
export interface ModelFolder {
  dir: string;
  textEncoder: ModelPart;
  unet: ModelPart;
  vaeEncoder: ModelPart;
  vaeDecoder: ModelPart;
  tokenizer: ClipTokenizer;
  schedulerConfig: SchedulerConfig;
  /** Latent scaling factor (SD 1.x: 0.18215). */
  scalingFactor: number;
  /** Channels of the latent space (4 for SD). */
  latentChannels: number;
  /** Graph inputs that take the VAE encoder's sampling noise (empty when it outputs a mean). */
  encoderNoiseInputs: string[];
}

const scalingSchema = z.object({
  scaling_factor: z.number().positive().optional(),
  latent_channels: z.number().int().positive().optional(),
});

/**
 * Loads and validates a diffusers-style ONNX folder: model_index.json, text_encoder, unet,
 * vae_encoder and vae_decoder (each model.onnx, weights inline or as external data beside it),
 * tokenizer/ and scheduler/scheduler_config.json. Every file is checked to exist before any
 * session opens; then each session's inputs are checked against what the pipeline feeds.
 */
export async function loadModelFolder(
  dir: string,
  options: SessionOptions = {},
): Promise<ModelFolder> {
  // 1. Every part is present.
  await requireFiles(dir);

  // 2. Configs: model index, scheduler, latent scale.
  await readJsonFile(join(dir, INDEX_FILE));
  const schedulerConfig = parseSchedulerConfig(
    await readJsonFile(join(dir, SCHEDULER_FILE)),
    join(dir, SCHEDULER_FILE),
  );
  const vaeConfig = await readVaeConfig(dir);
  const tokenizer = await ClipTokenizer.fromFolder(join(dir, "tokenizer"));

  // 3. Sessions, each validated against the inputs the pipeline feeds.
  const opened: ModelPart[] = [];
  try {
    const parts = await openParts(dir, options, tokenizer.contextLength, vaeConfig, opened);
    return {
      dir,
      ...parts,
      tokenizer,
      schedulerConfig,
      scalingFactor: vaeConfig.scaling_factor ?? DEFAULT_SCALING_FACTOR,
    };
  } catch (error) {
    // A rejected folder leaves no native sessions behind in a long-running process.
    await Promise.all(opened.map((part) => part.session.release()));
    throw error;
  }
}

/** Opens and validates the four sessions, recording each in `opened` as soon as it exists. */
async function openParts(
  dir: string,
  options: SessionOptions,
  contextLength: number,
  vaeConfig: z.infer<typeof scalingSchema>,
  opened: ModelPart[],
): Promise<Omit<ModelFolder, "dir" | "tokenizer" | "schedulerConfig" | "scalingFactor">> {
  const track = (part: ModelPart) => {
    opened.push(part);
    return part;
  };
  const textEncoder = track(await openPart(dir, MODEL_FILES.textEncoder, options));
  textEncoder.validate([
    {
      name: "input_ids",
      types: ["int32", "int64"],
      ranks: [2],
      sizes: { 1: contextLength },
    },
  ]);
  const unet = track(await openPart(dir, MODEL_FILES.unet, options));
  const latentChannels = vaeConfig.latent_channels ?? numericDim(unet, "sample", 1) ?? 4;
  unet.validate(unetSpecs(latentChannels, contextLength));
  const { part: vaeEncoder, noiseInputs } = await openEncoder(dir, options);
  track(vaeEncoder);
  vaeEncoder.validate([
    { name: "sample", types: FLOAT_TYPES, ranks: [4], sizes: { 1: 3 } },
    ...noiseInputs.map((name) => ({ name, types: FLOAT_TYPES, ranks: [4] })),
  ]);
  const vaeDecoder = track(await openPart(dir, MODEL_FILES.vaeDecoder, options));
  vaeDecoder.validate([
    { name: "latent_sample", types: FLOAT_TYPES, ranks: [4], sizes: { 1: latentChannels } },
  ]);
  checkHiddenSize(textEncoder, unet);
  checkOutputChannels(
    vaeEncoder,
    [latentChannels, 2 * latentChannels],
    "a latent or mean and log-variance",
  );
  checkOutputChannels(vaeDecoder, [3], "an RGB image");
  return {
    textEncoder,
    unet,
    vaeEncoder,
    vaeDecoder,
    latentChannels,
    encoderNoiseInputs: noiseInputs,
  };
}

function unetSpecs(latentChannels: number, contextLength: number): InputSpec[] {
  return [
    { name: "sample", types: FLOAT_TYPES, ranks: [4], sizes: { 1: latentChannels } },
    { name: "timestep", types: ["int64", "int32", "float32", "float16"], ranks: [0, 1] },
    { name: "encoder_hidden_states", types: FLOAT_TYPES, ranks: [3], sizes: { 1: contextLength } },
  ];
}

async function requireFiles(dir: string): Promise<void> {
  const tokenizerFiles = ["tokenizer/vocab.json", "tokenizer/tokenizer.json"];
  const required = [INDEX_FILE, ...Object.values(MODEL_FILES), SCHEDULER_FILE];
  for (const file of required) {
    if (!(await pathExists(join(dir, file)))) {
      throw new UserError(
        `Model folder ${dir} is missing ${file}. Expected a diffusers ONNX layout: model_index.json, ` +
          `text_encoder/model.onnx, unet/model.onnx, vae_encoder/model.onnx, vae_decoder/model.onnx, ` +
          `tokenizer/, scheduler/scheduler_config.json (try \`d3s model tiny DIR\` for an example).`,
      );
    }
  }
  const found = await Promise.all(tokenizerFiles.map((file) => pathExists(join(dir, file))));
  if (!found.some(Boolean)) {
    throw new UserError(
      `Model folder ${dir} is missing tokenizer/vocab.json (with merges.txt) or tokenizer/tokenizer.json.`,
    );
  }
}

async function openPart(dir: string, file: string, options: SessionOptions): Promise<ModelPart> {
  const path = join(dir, file);
  return new ModelPart(path, await openSession(path, options));
}

/** Opens the VAE encoder, rewriting in-graph sampling to take seeded noise inputs. */
async function openEncoder(
  dir: string,
  options: SessionOptions,
): Promise<{ part: ModelPart; noiseInputs: string[] }> {
  const path = join(dir, MODEL_FILES.vaeEncoder);
  if (!(await hasRandomNormal(path)))
    return { part: await openPart(dir, MODEL_FILES.vaeEncoder, options), noiseInputs: [] };
  const { model, noiseInputs } = await rewriteRandomNormal(path);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, {
      executionProviders: [options.device ?? "cpu"],
      intraOpNumThreads: options.threads ?? 0,
      graphOptimizationLevel: "all",
    });
  } catch (error) {
    throw new UserError(
      `ONNX Runtime could not load the rewritten ${path}: ${(error as Error).message}`,
    );
  }
  return { part: new ModelPart(path, session), noiseInputs };
}

/** Reads the latent scale from vae_decoder, vae_encoder or model_index.json, first found wins. */
async function readVaeConfig(dir: string): Promise<z.infer<typeof scalingSchema>> {
  const merged: z.infer<typeof scalingSchema> = {};
  for (const file of [
    "vae_decoder/config.json",
    "vae_encoder/config.json",
    "vae/config.json",
    INDEX_FILE,
  ]) {
    const path = join(dir, file);
    if (!(await pathExists(path))) continue;
    const parsed = scalingSchema.safeParse(await readJsonFile(path));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UserError(`${path}: invalid ${issue.path.join(".")}: ${issue.message}.`);
    }
    merged.scaling_factor ??= parsed.data.scaling_factor;
    merged.latent_channels ??= parsed.data.latent_channels;
  }
  return merged;
}

function numericDim(part: ModelPart, input: string, axis: number): number | undefined {
  const dim = part.inputs.get(input)?.shape[axis];
  return typeof dim === "number" ? dim : undefined;
}

/** Checks the channel axis of a part's first output when the model fixes it. */
function checkOutputChannels(part: ModelPart, allowed: number[], meaning: string): void {
  const [name, output] = [...part.outputs.entries()][0] ?? [];
  const channels = output?.shape[1];
  if (typeof channels === "number" && !allowed.includes(channels)) {
    throw new UserError(
      `${part.file}: output "${name}" has ${channels} channels; expected ${allowed.join(" or ")} ` +
        `(${meaning}).`,
    );
  }
}

/** Checks that the text encoder's width matches the UNet's encoder_hidden_states. */
function checkHiddenSize(textEncoder: ModelPart, unet: ModelPart): void {
  const output = [...textEncoder.outputs.values()][0];
  const produced = output?.shape[2];
  const expected = numericDim(unet, "encoder_hidden_states", 2);
  if (typeof produced === "number" && expected !== undefined && produced !== expected) {
    throw new UserError(
      `${textEncoder.file} produces hidden states of width ${produced} but ${unet.file} expects ` +
        `encoder_hidden_states of width ${expected}. Use parts from the same model.`,
    );
  }
}

async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new UserError(
      `Cannot read ${path}: ${(error as Error).message}. It must be a JSON file.`,
    );
  }
}
