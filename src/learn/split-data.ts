import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../core/errors.js";
import { logger } from "../core/log.js";
import type { ProgressListener } from "../core/progress.js";
import { SplitMetadata, type MetadataEntry } from "../data/metadata.js";
import { BACKGROUNDS } from "../data/backgrounds.js";
import { squareResize } from "../generate/guide.js";
import { ImageDecodeError, decodeImage } from "../images/decode.js";
import type { LearnData } from "./data.js";
import { extractOnnxFeatures, type OnnxFeatureOptions } from "./onnx-features.js";

/** The images of a dataset split that carry one of the ten background labels. */
export interface SplitImages {
  paths: string[];
  fgLabels: Int32Array;
  bgLabels: Int32Array;
  /** Largest class index + 1, so head outputs keep the dataset's class indices. */
  numFg: number;
}

/** Reads `<dataDir>/<split>/metadata.json` and keeps entries with a background label 0-9. */
export async function readSplit(dataDir: string, split: string): Promise<SplitImages> {
  const folder = join(dataDir, split);
  const path = join(folder, "metadata.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new UserError(`Split metadata not found: ${path}. Check --data and --split.`);
  }
  const parsed = SplitMetadata.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new UserError(`${path} is not a d3s split metadata file: ${parsed.error.issues[0].message}.`);
  }
  const entries = parsed.data.filter((entry: MetadataEntry) => entry.backgroundIdx >= 0);
  if (entries.length < parsed.data.length) {
    logger().warn({ split, dropped: parsed.data.length - entries.length }, "entries without a background label");
  }
  if (entries.length < 2) throw new UserError(`${path} has fewer than 2 usable images.`);
  return {
    paths: entries.map((entry) => join(folder, entry.image)),
    fgLabels: Int32Array.from(entries, (entry) => entry.classIdx),
    bgLabels: Int32Array.from(entries, (entry) => entry.backgroundIdx),
    numFg: Math.max(2, ...entries.map((entry) => entry.classIdx + 1)),
  };
}

/** Decodes the split's images to `[size, size, 3]` floats in [0, 1] for the cnn backbone. */
export async function loadImageData(
  split: SplitImages,
  size: number,
  progress: ProgressListener,
): Promise<LearnData> {
  const imageIndices: number[] = [];
  const values: Float32Array[] = [];
  for (const [i, path] of split.paths.entries()) {
    try {
      const image = await squareResize(await decodeImage(path), size);
      values.push(Float32Array.from(image.data, (value) => value / 255));
      imageIndices.push(i);
    } catch (error) {
      if (!(error instanceof ImageDecodeError)) throw error;
      logger().warn({ path, reason: error.reason }, "skipping unreadable image");
    }
    progress({ stage: "images", done: i + 1, total: split.paths.length });
  }
  const inputs = new Float32Array(imageIndices.length * size * size * 3);
  values.forEach((part, i) => inputs.set(part, i * part.length));
  return withLabels(split, imageIndices, inputs, [size, size, 3]);
}

/** Runs a frozen ONNX classifier over the split (cached) for the projection backbone. */
export async function loadFeatureData(
  split: SplitImages,
  options: OnnxFeatureOptions,
  progress: ProgressListener,
): Promise<LearnData> {
  const result = await extractOnnxFeatures(split.paths, options, progress);
  return withLabels(split, result.imageIndices, result.features, [result.dim]);
}

function withLabels(split: SplitImages, imageIndices: number[], inputs: Float32Array, shape: number[]): LearnData {
  return {
    inputs,
    inputShape: shape,
    fgLabels: Int32Array.from(imageIndices, (i) => split.fgLabels[i]),
    bgLabels: Int32Array.from(imageIndices, (i) => split.bgLabels[i]),
    numFg: split.numFg,
    numBg: BACKGROUNDS.length,
  };
}
