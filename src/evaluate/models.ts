import { readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.js";
import { loadClipClassifier, type ClipFolder } from "./clip.js";
import { fromHfProcessor } from "./hf-preprocess.js";
import { loadOnnxClassifier, type Classifier, type LoadOptions } from "./onnx-classifier.js";
import { PRESETS, parsePreprocess, presetConfig, type PreprocessConfig } from "./preprocess-config.js";

/** A model argument split into its path and optional preprocessing (a preset name or a JSON file). */
export interface ModelSpec {
  path: string;
  preprocess?: string;
}

/**
 * Parses `PATH` or `PATH:PRESET` or `PATH:config.json`. The suffix after the last colon counts
 * only when it is a preset name or ends in `.json`, so paths with colons still work.
 */
export function parseModelSpec(text: string): ModelSpec {
  const colon = text.lastIndexOf(":");
  if (colon > 0) {
    const suffix = text.slice(colon + 1);
    if (suffix in PRESETS || suffix.endsWith(".json")) {
      return { path: text.slice(0, colon), preprocess: suffix };
    }
  }
  return { path: text };
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new UserError(`Cannot read ${path}: ${(error as Error).message}`);
  }
}

async function preprocessFromSpec(spec: string): Promise<PreprocessConfig> {
  if (!spec.endsWith(".json")) return presetConfig(spec);
  const json = (await readJson(spec)) as Record<string, unknown>;
  // A JSON file may start from a preset: {"preset": "timm", "inputSize": 288}.
  const { preset, ...overrides } = json;
  const base = typeof preset === "string" ? { ...PRESETS[preset as keyof typeof PRESETS] } : {};
  if (typeof preset === "string") presetConfig(preset);
  return parsePreprocess({ ...base, ...overrides }, spec);
}

/** Options for loading models. */
export interface ModelLoadOptions extends LoadOptions {
  /** Preset or JSON file for bare ONNX files without a sidecar; default `torchvision`. */
  defaultPreprocess: string;
  /** Folder for cached CLIP text embeddings. */
  cacheDir: string;
}

/** Finds the first existing file among candidates inside a folder. */
async function firstFile(folder: string, names: string[]): Promise<string | undefined> {
  for (const name of names) {
    if (await isFile(join(folder, name))) return join(folder, name);
  }
  return undefined;
}

async function clipFolder(folder: string): Promise<ClipFolder | undefined> {
  const vision = await firstFile(folder, ["onnx/vision_model.onnx", "vision_model.onnx"]);
  const text = await firstFile(folder, ["onnx/text_model.onnx", "text_model.onnx"]);
  return vision && text ? { folder, vision, text } : undefined;
}

const HfConfig = z.object({ id2label: z.record(z.string(), z.string()).optional() });

async function loadFolder(spec: ModelSpec, options: ModelLoadOptions): Promise<Classifier> {
  const folder = spec.path;
  const processorFile = join(folder, "preprocessor_config.json");
  const hasProcessor = await isFile(processorFile);
  const preprocess = spec.preprocess
    ? await preprocessFromSpec(spec.preprocess)
    : hasProcessor
      ? fromHfProcessor(await readJson(processorFile), processorFile)
      : undefined;

  // 1. A CLIP folder: vision and text models.
  const clip = await clipFolder(folder);
  if (clip) {
    return loadClipClassifier(clip, preprocess ?? presetConfig("clip"), options);
  }

  // 2. A Hugging Face image classification folder.
  const model = await firstFile(folder, ["onnx/model.onnx", "model.onnx"]);
  if (model === undefined || preprocess === undefined) {
    throw new UserError(
      `${folder} is not a model folder. Expected onnx/model.onnx with preprocessor_config.json ` +
        `(Hugging Face), or onnx/vision_model.onnx with onnx/text_model.onnx (CLIP).`,
    );
  }
  const classifier = await loadOnnxClassifier(model, preprocess, options, "huggingface");
  classifier.name = basename(folder);
  const configFile = join(folder, "config.json");
  if (await isFile(configFile)) {
    const id2label = HfConfig.parse(await readJson(configFile)).id2label;
    if (id2label) {
      classifier.labels = Object.entries(id2label)
        .sort((a, b) => Number(a[0]) - Number(b[0]))
        .map(([, label]) => label);
    }
  }
  return classifier;
}

/**
 * Loads one model argument: an `.onnx` file (preprocessing from the spec suffix, else from a
 * sidecar `<name>.preprocess.json`, else the default preset), a Hugging Face folder or a CLIP
 * folder.
 */
export async function loadModel(spec: ModelSpec, options: ModelLoadOptions): Promise<Classifier> {
  const info = await stat(spec.path).catch(() => undefined);
  if (info === undefined) {
    const hint = spec.path.includes(":")
      ? ` A suffix after ":" must be a preset (${Object.keys(PRESETS).join(", ")}) or a .json file.`
      : "";
    throw new UserError(`Invalid --models ${spec.path}: no such file or folder.${hint}`);
  }
  if (info.isDirectory()) return loadFolder(spec, options);
  const sidecar = spec.path.replace(/\.onnx$/, "") + ".preprocess.json";
  const preprocess = spec.preprocess
    ? await preprocessFromSpec(spec.preprocess)
    : (await isFile(sidecar))
      ? await preprocessFromSpec(sidecar)
      : await preprocessFromSpec(options.defaultPreprocess);
  return loadOnnxClassifier(spec.path, preprocess, options);
}
