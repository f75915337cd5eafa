import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import { UserError } from "../../core/errors.js";
import { ClipTokenizer } from "../../diffusion/tokenizer.js";
import { toRgbPipeline } from "../../images/decode.js";
import { inputMetadata, openSession, ort, outputMetadata } from "../../onnx/session.js";

/** The text each class is compared with; `{class}` is replaced by the class name. */
export const CLIP_PROMPT = "a photo of a {class}";

/** CLIP's image normalisation (OpenAI CLIP), used when the folder has no preprocessor_config.json. */
const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];
const CLIP_SIZE = 224;

const PreprocessorConfig = z.object({
  image_mean: z.array(z.number()).length(3).optional(),
  image_std: z.array(z.number()).length(3).optional(),
  crop_size: z.union([z.number(), z.object({ height: z.number(), width: z.number() })]).optional(),
});

/** A CLIP image-text scorer: cosine similarity of an image and "a photo of a {class}". */
export interface ClipScreen {
  /** Model name stored with each score: `clip:<folder name>`. */
  name: string;
  score(bytes: Buffer, className: string): Promise<number>;
  release(): Promise<void>;
}

/**
 * Opens a CLIP ONNX folder: `vision_model.onnx` (pixel_values -> image_embeds) and
 * `text_model.onnx` (input_ids -> text_embeds), directly in the folder or under `onnx/`, with
 * the CLIP tokenizer files (vocab.json + merges.txt, or tokenizer.json) in the folder or under
 * `tokenizer/`, and an optional preprocessor_config.json. This is the layout of the ONNX
 * exports of Hugging Face CLIP models (for example clip-vit-base-patch32).
 */
export async function loadClipScreen(folder: string, threads = 0): Promise<ClipScreen> {
  const visionPath = findFile(folder, ["vision_model.onnx", "onnx/vision_model.onnx"]);
  const textPath = findFile(folder, ["text_model.onnx", "onnx/text_model.onnx"]);
  const tokenizerDir = existsSync(join(folder, "tokenizer")) ? join(folder, "tokenizer") : folder;
  const config = await readPreprocessorConfig(folder);
  const tokenizer = await ClipTokenizer.fromFolder(tokenizerDir);
  const vision = await openSession(visionPath, { threads });
  const text = await openSession(textPath, { threads });
  const textEmbeddings = new Map<string, Float32Array>();
  const embedText = async (className: string) => {
    let embedding = textEmbeddings.get(className);
    if (embedding === undefined) {
      embedding = await runText(text, tokenizer, CLIP_PROMPT.replace("{class}", className));
      textEmbeddings.set(className, embedding);
    }
    return embedding;
  };
  return {
    name: `clip:${basename(folder)}`,
    score: async (bytes, className) => cosine(await runVision(vision, bytes, config), await embedText(className)),
    release: async () => {
      await vision.release();
      await text.release();
    },
  };
}

function findFile(folder: string, candidates: string[]): string {
  const found = candidates.map((name) => join(folder, name)).find((path) => existsSync(path));
  if (found === undefined) {
    throw new UserError(
      `--clip folder ${folder} has no ${candidates[0]} (looked for ${candidates.join(", ")}); pass a CLIP ONNX export folder.`,
    );
  }
  return found;
}

interface ImageConfig {
  mean: number[];
  std: number[];
  size: number;
}

async function readPreprocessorConfig(folder: string): Promise<ImageConfig> {
  const path = join(folder, "preprocessor_config.json");
  if (!existsSync(path)) return { mean: CLIP_MEAN, std: CLIP_STD, size: CLIP_SIZE };
  const parsed = PreprocessorConfig.safeParse(JSON.parse(await readFile(path, "utf8")));
  if (!parsed.success) throw new UserError(`Invalid ${path}: ${parsed.error.issues[0].message}.`);
  const crop = parsed.data.crop_size;
  let size = CLIP_SIZE;
  if (typeof crop === "number") size = crop;
  else if (crop !== undefined) size = crop.height;
  return { mean: parsed.data.image_mean ?? CLIP_MEAN, std: parsed.data.image_std ?? CLIP_STD, size };
}

/** Resizes the shorter side to `size` (bicubic), crops the centre square and normalises to NCHW. */
async function runVision(session: ort.InferenceSession, bytes: Buffer, config: ImageConfig): Promise<Float32Array> {
  const { size, mean, std } = config;
  const pixels = await toRgbPipeline(bytes)
    .resize(size, size, { fit: "cover", position: "centre", kernel: "cubic" })
    .raw()
    .toBuffer();
  const planar = new Float32Array(3 * size * size);
  for (let i = 0; i < size * size; i++) {
    for (let c = 0; c < 3; c++) planar[c * size * size + i] = (pixels[i * 3 + c] / 255 - mean[c]) / std[c];
  }
  const inputName = session.inputNames[0];
  const outputs = await session.run({ [inputName]: new ort.Tensor("float32", planar, [1, 3, size, size]) });
  return embeddingOutput(session, outputs, "image_embeds");
}

async function runText(session: ort.InferenceSession, tokenizer: ClipTokenizer, prompt: string): Promise<Float32Array> {
  const ids = tokenizer.encode(prompt);
  const inputs = inputMetadata(session);
  const feeds: Record<string, ort.Tensor> = {};
  const idsType = inputs.get("input_ids")?.type === "int32" ? "int32" : "int64";
  feeds.input_ids = integerTensor(idsType, ids);
  if (inputs.has("attention_mask")) {
    // Attend to the start token, the prompt and the first end token; the padding after it is masked.
    const end = ids.indexOf(tokenizer.endId);
    feeds.attention_mask = integerTensor(idsType, ids.map((_, i) => (i <= end ? 1 : 0)));
  }
  return embeddingOutput(session, await session.run(feeds), "text_embeds");
}

function integerTensor(type: "int32" | "int64", values: number[]): ort.Tensor {
  return type === "int32"
    ? new ort.Tensor("int32", Int32Array.from(values), [1, values.length])
    : new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), [1, values.length]);
}

/** Returns the projected embedding output; a model without one (only hidden states) is rejected. */
function embeddingOutput(
  session: ort.InferenceSession,
  outputs: ort.InferenceSession.OnnxValueMapType,
  preferred: string,
): Float32Array {
  const name = outputMetadata(session).has(preferred) ? preferred : session.outputNames[0];
  const tensor = outputs[name] as ort.Tensor;
  if (tensor.dims.length !== 2) {
    throw new UserError(`CLIP output ${name} has shape [${tensor.dims.join(", ")}]; export the model with projected ${preferred}.`);
  }
  return tensor.data as Float32Array;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    normA += a[i] * a[i];
    normB += b[i] * b[i];
  }
  return dot / Math.sqrt(normA * normB);
}
