import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { UserError } from "../core/errors.js";
import { writeFileAtomic } from "../core/atomic.js";
import { hashBytes, hashFile } from "../core/hash.js";
import { logger } from "../core/log.js";
import { imagenetClasses } from "../data/imagenet.js";
import { ClipTokenizer } from "../diffusion/tokenizer.js";
import { inputMetadata, openSession, ort, outputMetadata } from "../onnx/session.js";
import type { Classifier, LoadOptions } from "./onnx-classifier.js";
import type { PreprocessConfig } from "./preprocess-config.js";

/** Zero-shot prompt template, where `{class}` becomes each ImageNet class name. */
export const CLIP_PROMPT = "a photo of a {class}";
// CLIP's learned logit scale converges to its clamp of 100. It scales logits but not rankings.
const CLIP_LOGIT_SCALE = 100;
const TEXT_BATCH = 64;

/** The files of a CLIP ONNX folder (the layout of Hugging Face Optimum exports). */
export interface ClipFolder {
  folder: string;
  vision: string;
  text: string;
}

/** Options for a CLIP zero-shot classifier. */
export interface ClipOptions extends LoadOptions {
  /** Folder for cached text embeddings. */
  cacheDir: string;
  /** Prompt template; default CLIP_PROMPT. */
  prompt?: string;
}

function normalizeRows(values: Float32Array, rows: number): Float32Array {
  const dim = values.length / rows;
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += values[r * dim + k] ** 2;
    const inverse = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let k = 0; k < dim; k++) out[r * dim + k] = values[r * dim + k] * inverse;
  }
  return out;
}

function embeddingOutput(session: ort.InferenceSession, preferred: string, file: string): string {
  const outputs = outputMetadata(session);
  if (outputs.has(preferred)) return preferred;
  const twoDimensional = [...outputs.values()].find((output) => output.shape.length === 2);
  if (twoDimensional === undefined) {
    throw new UserError(
      `${file} has no ${preferred} output and no 2-D output. Export CLIP with projection heads ` +
        `(CLIPTextModelWithProjection / CLIPVisionModelWithProjection).`,
    );
  }
  return twoDimensional.name;
}

/**
 * Computes unit-length text embeddings of one prompt per ImageNet class, or reads them from the
 * cache. The cache key hashes the text model file and the token ids, so a changed model,
 * tokenizer or template never reuses stale embeddings.
 */
export async function classTextEmbeddings(
  clip: ClipFolder,
  options: ClipOptions,
): Promise<{ embeddings: Float32Array; classes: number }> {
  // 1. Tokenize one prompt per class. Names may repeat, which is harmless because scoring uses indices.
  const tokenizer = await ClipTokenizer.fromFolder(clip.folder);
  const template = options.prompt ?? CLIP_PROMPT;
  const ids = imagenetClasses().map((entry) => tokenizer.encode(template.replace("{class}", entry.name)));
  const classes = ids.length;

  // 2. Return cached embeddings when the model and token ids match.
  const key = hashBytes(`${await hashFile(clip.text)}\n${JSON.stringify(ids)}`).slice(0, 24);
  const cachePath = join(options.cacheDir, `clip-text-${key}.f32`);
  const cached = await readFile(cachePath).catch(() => undefined);
  if (cached !== undefined && cached.length % (4 * classes) === 0 && cached.length > 0) {
    const copy = new Uint8Array(cached);
    return { embeddings: new Float32Array(copy.buffer), classes };
  }

  // 3. Run the text model in batches and cache the normalised result.
  const session = await openSession(clip.text, options);
  try {
    const inputs = inputMetadata(session);
    const output = embeddingOutput(session, "text_embeds", clip.text);
    const parts: Float32Array[] = [];
    for (let start = 0; start < classes; start += TEXT_BATCH) {
      const batch = ids.slice(start, start + TEXT_BATCH);
      const feeds: Record<string, ort.Tensor> = {};
      const length = tokenizer.contextLength;
      const flat = BigInt64Array.from(batch.flat().map(BigInt));
      feeds[inputs.has("input_ids") ? "input_ids" : [...inputs.keys()][0]] = new ort.Tensor("int64", flat, [batch.length, length]);
      if (inputs.has("attention_mask")) {
        const mask = batch.flatMap((row) => {
          const end = row.indexOf(tokenizer.endId);
          return row.map((_, i) => BigInt(i <= end ? 1 : 0));
        });
        feeds.attention_mask = new ort.Tensor("int64", BigInt64Array.from(mask), [batch.length, length]);
      }
      const result = await session.run(feeds);
      parts.push(new Float32Array(result[output].data as Float32Array));
    }
    const raw = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      raw.set(part, offset);
      offset += part.length;
    }
    const embeddings = normalizeRows(raw, classes);
    await writeFileAtomic(cachePath, new Uint8Array(embeddings.buffer));
    logger().info({ cachePath, classes }, "cached CLIP text embeddings");
    return { embeddings, classes };
  } finally {
    await session.release();
  }
}

/**
 * Opens a CLIP folder as a 1000-way zero-shot classifier: logits are 100 x the cosine similarity
 * between the image embedding and each class's prompt embedding.
 */
export async function loadClipClassifier(
  clip: ClipFolder,
  preprocess: PreprocessConfig,
  options: ClipOptions,
): Promise<Classifier> {
  const { embeddings, classes } = await classTextEmbeddings(clip, options);
  const dim = embeddings.length / classes;
  const session = await openSession(clip.vision, options);
  const inputName = inputMetadata(session).has("pixel_values") ? "pixel_values" : session.inputNames[0];
  const output = embeddingOutput(session, "image_embeds", clip.vision);
  const size = preprocess.inputSize;
  const hash = hashBytes(`${await hashFile(clip.vision)}\n${await hashFile(clip.text)}`);
  return {
    name: basename(clip.folder) || "clip",
    kind: "clip",
    source: clip.folder,
    hash,
    preprocess,
    labels: imagenetClasses().map((entry) => entry.name),
    maxBatch: Number.MAX_SAFE_INTEGER,
    outputs: classes,
    async run(batch, count) {
      const tensor = new ort.Tensor("float32", batch, [count, 3, size, size]);
      const result = await session.run({ [inputName]: tensor });
      const images = normalizeRows(result[output].data as Float32Array, count);
      if (images.length !== count * dim) {
        throw new Error(`CLIP image embeddings have ${images.length / count} values, text embeddings ${dim}`);
      }
      const logits = new Float32Array(count * classes);
      for (let i = 0; i < count; i++) {
        for (let c = 0; c < classes; c++) {
          let dot = 0;
          for (let k = 0; k < dim; k++) dot += images[i * dim + k] * embeddings[c * dim + k];
          logits[i * classes + c] = CLIP_LOGIT_SCALE * dot;
        }
      }
      return { logits, outputs: classes };
    },
    close: () => session.release(),
  };
}
