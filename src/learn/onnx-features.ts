import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic, writeJsonAtomic } from "../core/atomic.js";
import { UserError } from "../core/errors.js";
import { hashBytes, hashFile } from "../core/hash.js";
import { logger } from "../core/log.js";
import { silentProgress, type ProgressListener } from "../core/progress.js";
import { squareResize } from "../generate/guide.js";
import { ImageDecodeError, decodeImage } from "../images/decode.js";
import { inputMetadata, openSession, ort } from "../onnx/session.js";
import { exposeFeatureOutput } from "./feature-output.js";
import { concatFloat32 } from "../core/arrays.js";

/** Options of `extractOnnxFeatures`; every default is defined here. */
export const onnxFeatureOptionsSchema = z.object({
  /** Path of any ONNX image classifier. */
  modelPath: z.string().min(1),
  /** Tensor to read features from. Default: the input of the final Gemm/MatMul (pooled features). */
  outputName: z.string().min(1).optional(),
  /** Square input size; default the model's fixed input size, else 224. */
  imageSize: z.number().int().min(8).optional(),
  /** Per-channel RGB mean on the [0, 1] scale. Default ImageNet's. */
  mean: z.tuple([z.number(), z.number(), z.number()]).default([0.485, 0.456, 0.406]),
  /** Per-channel RGB standard deviation. Default ImageNet's. */
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).default([0.229, 0.224, 0.225]),
  /** Folder of cached feature files. */
  cacheDir: z.string().min(1),
  /** Images per ONNX Runtime call when the batch dimension is dynamic. Default 16. */
  batchSize: z.number().int().min(1).default(16),
  /** ONNX Runtime intra-op threads; default 0 (all cores). */
  threads: z.number().int().min(0).default(0),
});

export type OnnxFeatureOptions = z.input<typeof onnxFeatureOptionsSchema>;

/** Features of the readable images, `dim` values each, in the order of `imageIndices`. */
export interface OnnxFeatures {
  features: Float32Array;
  dim: number;
  outputName: string;
  /** Indices (into the image list) of the images that have features. */
  imageIndices: number[];
  /** Images that could not be decoded, with the reason; they have no features. */
  skipped: Array<{ path: string; reason: string }>;
  /** Whether the features came from the cache. */
  cached: boolean;
}

/**
 * Runs a frozen ONNX classifier over images and returns one feature vector per image. Results
 * are cached in `cacheDir` under a key made of the model's hash, the feature tensor, the
 * preprocessing and the hash of every image, so a second call with the same inputs reads a file.
 */
export async function extractOnnxFeatures(
  images: string[],
  input: OnnxFeatureOptions,
  progress: ProgressListener = silentProgress,
): Promise<OnnxFeatures> {
  // 1. Validate, then derive the cache key from the model and image contents.
  const options = parseOptions(input);
  const modelBytes = await readModel(options.modelPath);
  const imageHashes = await Promise.all(images.map((path) => hashFile(path).catch(() => `missing:${path}`)));
  const { model, outputName, changed } = exposeFeatureOutput(modelBytes, options.modelPath, options.outputName);
  const key = hashBytes(
    JSON.stringify([hashBytes(modelBytes), outputName, options.imageSize, options.mean, options.std, imageHashes]),
  ).slice(0, 32);

  // 2. Return the cached features when this exact request ran before.
  const cached = await readCache(options.cacheDir, key);
  if (cached !== undefined) return { ...cached, cached: true };

  // 3. Run the model in batches, skipping unreadable images.
  // An unchanged model opens from its path, so external data files beside it still resolve.
  const session = changed
    ? await ort.InferenceSession.create(model, {
        intraOpNumThreads: options.threads,
        graphOptimizationLevel: "all",
      })
    : await openSession(options.modelPath, { threads: options.threads });
  const result = await runSession(session, images, outputName, options, progress);
  await session.release();

  // 4. Write the cache: data first, index last, both atomically.
  await writeFileAtomic(join(options.cacheDir, `${key}.bin`), new Uint8Array(result.features.buffer));
  await writeJsonAtomic(join(options.cacheDir, `${key}.json`), { ...result, features: undefined });
  return { ...result, cached: false };
}

type ParsedOptions = z.output<typeof onnxFeatureOptionsSchema>;

function parseOptions(input: OnnxFeatureOptions): ParsedOptions {
  const parsed = onnxFeatureOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`Invalid feature option ${issue.path.join(".")}: ${issue.message}.`);
  }
  return parsed.data;
}

async function readModel(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch {
    throw new UserError(`Model file not found: ${path}. Pass the path of an ONNX classifier.`);
  }
}

async function readCache(dir: string, key: string): Promise<Omit<OnnxFeatures, "cached"> | undefined> {
  try {
    const index = JSON.parse(await readFile(join(dir, `${key}.json`), "utf8")) as Omit<OnnxFeatures, "cached" | "features">;
    const bytes = await readFile(join(dir, `${key}.bin`));
    const features = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    if (features.length !== index.imageIndices.length * index.dim) return undefined;
    return { ...index, features };
  } catch {
    return undefined;
  }
}

async function runSession(
  session: ort.InferenceSession,
  images: string[],
  outputName: string,
  options: ParsedOptions,
  progress: ProgressListener,
): Promise<Omit<OnnxFeatures, "cached">> {
  const { inputName, channelsFirst, size, batchSize } = inputLayout(session, options);
  const chunks: Float32Array[] = [];
  const imageIndices: number[] = [];
  const skipped: OnnxFeatures["skipped"] = [];
  let dim = 0;

  for (let start = 0; start < images.length; start += batchSize) {
    const pixels: Float32Array[] = [];
    for (let i = start; i < Math.min(start + batchSize, images.length); i++) {
      try {
        pixels.push(await preprocess(images[i], size, options, channelsFirst));
        imageIndices.push(i);
      } catch (error) {
        if (!(error instanceof ImageDecodeError)) throw error;
        skipped.push({ path: images[i], reason: error.reason });
        logger().warn({ path: images[i], reason: error.reason }, "skipping unreadable image");
      }
    }
    if (pixels.length > 0) {
      const batch = concatFloat32(pixels);
      const dims = channelsFirst ? [pixels.length, 3, size, size] : [pixels.length, size, size, 3];
      const outputs = await session.run({ [inputName]: new ort.Tensor("float32", batch, dims) }, [outputName]);
      const values = outputs[outputName].data as Float32Array;
      dim = values.length / pixels.length;
      chunks.push(Float32Array.from(values));
    }
    progress({ stage: "features", done: Math.min(start + batchSize, images.length), total: images.length });
  }
  return { features: concatFloat32(chunks), dim, outputName, imageIndices, skipped };
}

/** Reads the input name, layout (NCHW unless the last axis is 3), size and batch size. */
function inputLayout(session: ort.InferenceSession, options: ParsedOptions) {
  const inputName = session.inputNames[0];
  const shape = inputMetadata(session).get(inputName)?.shape ?? [];
  const channelsFirst = shape[1] === 3 || shape[3] !== 3;
  const fixedSize = channelsFirst ? shape[2] : shape[1];
  const size = options.imageSize ?? (typeof fixedSize === "number" ? fixedSize : 224);
  const batchSize = typeof shape[0] === "number" ? shape[0] : options.batchSize;
  return { inputName, channelsFirst, size, batchSize };
}

async function preprocess(
  path: string,
  size: number,
  options: ParsedOptions,
  channelsFirst: boolean,
): Promise<Float32Array> {
  const image = await squareResize(await decodeImage(path), size);
  const pixels = new Float32Array(size * size * 3);
  const area = size * size;
  for (let p = 0; p < area; p++) {
    for (let c = 0; c < 3; c++) {
      const value = (image.data[p * 3 + c] / 255 - options.mean[c]) / options.std[c];
      pixels[channelsFirst ? c * area + p : p * 3 + c] = value;
    }
  }
  return pixels;
}

