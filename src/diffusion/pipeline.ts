import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.js";
import { hashBytes, hashFile } from "../core/hash.js";
import type { ProgressListener } from "../core/progress.js";
import { silentProgress } from "../core/progress.js";
import { Random } from "../core/rng.js";
import type { RgbImage } from "../images/decode.js";
import type { Device } from "../onnx/session.js";
import { allFinite, imageToTensor, tensorToImage } from "./image-tensor.js";
import { loadModelFolder, type ModelFolder } from "./model-folder.js";
import type { ModelPart } from "./model-part.js";
import { createScheduler, SCHEDULER_NAMES, type SchedulerName } from "./schedulers/index.js";
import {
  guidedOutput,
  scaled,
  type Guidance,
  type NoiseSource,
  type Scheduler,
} from "./schedulers/scheduler.js";
import { concatFloat32 } from "../core/arrays.js";

const TEXT_CACHE_SIZE = 16;

/** Raised when the VAE returns NaN or infinity for an item; the job skips that item. */
export class NonFiniteOutputError extends Error {
  override readonly name = "NonFiniteOutputError";
  constructor(
    readonly itemIndex: number,
    readonly seed: string,
    part: string,
  ) {
    super(
      `${part} returned non-finite values (NaN or infinity) for item ${itemIndex} (seed ${seed}); no image was written for it.`,
    );
  }
}

/** img2img request; defaults reproduce the D3S reference settings (DDIM, 50 steps, 0.9, 5). */
export const img2imgRequestSchema = z
  .object({
    images: z.array(z.custom<RgbImage>((value) => isRgbImage(value), "must be RGB images")).min(1),
    prompts: z.array(z.string()),
    /** Prompt of the unconditional branch of classifier-free guidance; default "". */
    negativePrompt: z.string().default(""),
    /** How far the guide is noised, 0..1; default 0.9. */
    strength: z.number().min(0).max(1).default(0.9),
    /** Scheduler steps before strength is applied; default 50. */
    numInferenceSteps: z.number().int().min(1).default(50),
    /** Classifier-free guidance scale; values <= 1 skip the unconditional pass. Default 5. */
    guidanceScale: z.number().min(0).default(5),
    /** One seed per image; item i's noise comes from new Random(seeds[i]). */
    seeds: z.array(z.string().min(1)),
    /** Default "ddim". */
    scheduler: z.enum(SCHEDULER_NAMES).default("ddim"),
    /** Receives one event per denoising step. */
    onProgress: z.custom<ProgressListener>((value) => typeof value === "function").optional(),
  })
  .superRefine((request, context) => {
    const count = request.images.length;
    for (const key of ["prompts", "seeds"] as const) {
      if (request[key].length !== count) {
        context.addIssue({
          code: "custom",
          path: [key],
          message: `has ${request[key].length} entries for ${count} images; give one per image`,
        });
      }
    }
    const { width, height } = request.images[0];
    request.images.forEach((image, i) => {
      if (image.width !== width || image.height !== height) {
        context.addIssue({
          code: "custom",
          path: ["images", i],
          message: `is ${image.width}x${image.height} but image 0 is ${width}x${height}; a batch needs one size`,
        });
      }
      if (image.width % 8 !== 0 || image.height % 8 !== 0) {
        context.addIssue({
          code: "custom",
          path: ["images", i],
          message: `is ${image.width}x${image.height}; width and height must be multiples of 8 (the VAE downsamples by 8)`,
        });
      }
    });
  });
export type Img2ImgRequest = z.input<typeof img2imgRequestSchema>;

/** img2img output: one image per input, and the timesteps of the UNet calls made. */
export interface Img2ImgResult {
  images: RgbImage[];
  timesteps: number[];
  scheduler: SchedulerName;
  /**
   * Scaled latents per item: after noising the guide (`initial`) and after the last step
   * (`final`). Both are empty when no step ran.
   */
  latents: { initial: Float32Array[]; final: Float32Array[] };
}

/** Options for loading a pipeline. */
export interface LoadOptions {
  /** Execution provider; default cpu. */
  device?: Device;
  /** Intra-op threads per session; default 0 (all cores). */
  threads?: number;
}

/**
 * Loads a Stable Diffusion ONNX folder (see loadModelFolder for the layout) and hashes its files.
 */
export async function loadStableDiffusion(
  folder: string,
  options: LoadOptions = {},
): Promise<StableDiffusionPipeline> {
  const model = await loadModelFolder(folder, options);
  return new StableDiffusionPipeline(model, await hashFolder(folder));
}

/**
 * Stable Diffusion img2img (SDEdit, Meng et al. 2022) on ONNX Runtime. Every session call
 * handles one item (two rows with guidance), so item i's bytes depend only on its seed, prompt
 * and guide, never on the batch it came in.
 */
export class StableDiffusionPipeline {
  /** Recent prompt embeddings, oldest first (a small LRU: D3S runs use thousands of prompts). */
  private readonly textCache = new Map<string, Float32Array>();

  constructor(
    readonly model: ModelFolder,
    /** sha256 over the folder's files (relative path and content hash of each). */
    readonly modelHash: string,
  ) {}

  /** Cumulative milliseconds spent inside ONNX Runtime session runs. */
  get sessionTimeMs(): number {
    const { textEncoder, unet, vaeEncoder, vaeDecoder } = this.model;
    return textEncoder.runTimeMs + unet.runTimeMs + vaeEncoder.runTimeMs + vaeDecoder.runTimeMs;
  }

  /**
   * Turns guide images into new images following the prompts. Zero denoising steps after
   * strength (for example strength 0.1 with 5 steps) return the guides unchanged, without
   * encoding or decoding them.
   */
  async img2img(input: Img2ImgRequest): Promise<Img2ImgResult> {
    // 1. Validate the request and plan the schedule. Each item gets its own scheduler, because
    //    PNDM keeps a history of model outputs that must not mix items.
    const request = parseRequest(input);
    const schedulers = request.images.map(() =>
      createScheduler(request.scheduler, this.model.schedulerConfig, request.numInferenceSteps),
    );
    const starts = schedulers.map((scheduler) => scheduler.startImg2img(request.strength));
    const [scheduler, start] = [schedulers[0], starts[0]];
    const timesteps = scheduler.timesteps.slice(start);
    if (timesteps.length === 0) {
      const latents = { initial: [], final: [] };
      return {
        images: request.images.map(copyImage),
        timesteps: [],
        scheduler: scheduler.name,
        latents,
      };
    }

    // 2. Per-item generators, text embeddings and guide latents.
    const randoms = request.seeds.map((seed) => new Random(seed));
    const { width, height } = request.images[0];
    const useGuidance = request.guidanceScale > 1;
    const uncond = useGuidance ? await this.embed(request.negativePrompt) : undefined;
    const cond = await Promise.all(request.prompts.map((prompt) => this.embed(prompt)));
    const texts = cond.map((embedding) => textConditioning(embedding, uncond));
    const clean = await this.encodeImages(request.images, randoms, request.seeds);

    // 3. Noise each guide to the start timestep, with the item's own noise.
    const latentSize = clean[0].length;
    const initial = clean.map((x0, i) =>
      schedulers[i].addNoise(x0, randoms[i].normals(latentSize), start),
    );
    let latents = initial;

    // 4. Denoise: one UNet call per item and timestep, then a scheduler step. The UNet input
    //    buffer is shared by every call of this request.
    const progress = request.onProgress ?? silentProgress;
    const latentDims = [1, this.model.latentChannels, height / 8, width / 8];
    const unetInput = new Float32Array(2 * latentSize);
    for (let index = start; index < scheduler.timesteps.length; index++) {
      const t = scheduler.timesteps[index];
      const next: Float32Array[] = [];
      for (let i = 0; i < latents.length; i++) {
        const input = schedulers[i].scaleModelInput(latents[i], index);
        const prediction = await this.predictNoise(
          { sample: input, dims: latentDims, t, text: texts[i], scale: request.guidanceScale },
          unetInput,
        );
        const noise = () => randoms[i].normals(latentSize);
        next.push(schedulerStep(schedulers[i], prediction, index, latents[i], noise));
      }
      latents = next;
      progress({ stage: "denoise", done: index - start + 1, total: timesteps.length });
    }

    // 5. Decode to 8-bit images.
    const images = await this.decodeLatents(latents, latentDims, width, height, request.seeds);
    return { images, timesteps, scheduler: scheduler.name, latents: { initial, final: latents } };
  }

  /**
   * Encodes and decodes images through the VAE with the latent scale applied on both sides and
   * no denoising, to check a VAE and its scaling factor. Seeds feed in-graph sampling.
   */
  async reconstruct(images: RgbImage[], seeds: string[]): Promise<RgbImage[]> {
    if (images.length === 0 || seeds.length !== images.length) {
      throw new UserError(
        `reconstruct needs one seed per image, got ${seeds.length} for ${images.length}.`,
      );
    }
    const randoms = seeds.map((seed) => new Random(seed));
    const latents = await this.encodeImages(images, randoms, seeds);
    const { width, height } = images[0];
    return this.decodeLatents(
      latents,
      [1, this.model.latentChannels, height / 8, width / 8],
      width,
      height,
      seeds,
    );
  }

  /** Releases the ONNX Runtime sessions. */
  async dispose(): Promise<void> {
    const { textEncoder, unet, vaeEncoder, vaeDecoder } = this.model;
    for (const part of [textEncoder, unet, vaeEncoder, vaeDecoder]) await part.session.release();
  }

  /** Returns the text encoder's hidden states for a prompt (cached per prompt). */
  private async embed(prompt: string): Promise<Float32Array> {
    const cached = this.textCache.get(prompt);
    if (cached !== undefined) {
      this.textCache.delete(prompt);
      this.textCache.set(prompt, cached);
      return cached;
    }
    const ids = this.model.tokenizer.encode(prompt);
    const outputs = await this.model.textEncoder.run({
      input_ids: { data: ids, dims: [1, ids.length] },
    });
    const hidden = outputs.get("last_hidden_state") ?? [...outputs.values()][0];
    this.textCache.set(prompt, hidden.data);
    if (this.textCache.size > TEXT_CACHE_SIZE) {
      this.textCache.delete(this.textCache.keys().next().value as string);
    }
    return hidden.data;
  }

  /** Returns each image's scaled latent: VAE mean (or seeded sample) times the scaling factor. */
  private async encodeImages(
    images: RgbImage[],
    randoms: Random[],
    seeds: string[],
  ): Promise<Float32Array[]> {
    const { vaeEncoder, latentChannels, scalingFactor, encoderNoiseInputs } = this.model;
    const latents: Float32Array[] = [];
    // One input buffer for every item: ONNX Runtime has finished reading it when run resolves.
    const { width, height } = images[0];
    const pixels = new Float32Array(3 * width * height);
    for (let i = 0; i < images.length; i++) {
      const latentLength = latentChannels * (height / 8) * (width / 8);
      const latentDims = [1, latentChannels, height / 8, width / 8];
      const feeds: Parameters<ModelPart["run"]>[0] = {
        sample: { data: imageToTensor(images[i], pixels), dims: [1, 3, height, width] },
      };
      for (const name of encoderNoiseInputs) {
        feeds[name] = { data: randoms[i].normals(latentLength), dims: latentDims };
      }
      const output = [...(await vaeEncoder.run(feeds)).values()][0];
      checkFinite(output.data, i, seeds[i], vaeEncoder.file);
      latents.push(
        scaleLatent(output.data, output.dims, latentChannels, scalingFactor, vaeEncoder.file),
      );
    }
    return latents;
  }

  /**
   * Runs the UNet for one item: the noise prediction, or with guidance the two outputs that
   * `uncond + scale * (cond - uncond)` combines (the scheduler step applies it).
   * `pairInput` (twice the latent length) receives the stacked [sample, sample] input.
   */
  private async predictNoise(
    call: UnetCall,
    pairInput: Float32Array,
  ): Promise<Float32Array | Guidance> {
    const { sample, dims, t, text, scale } = call;
    const { cond, uncond, pair } = text;
    if (uncond === undefined || pair === undefined) return this.runUnet(sample, dims, 1, t, cond);
    const half = sample.length;
    let uncondOutput: Float32Array;
    let condOutput: Float32Array;
    if (this.model.unet.inputs.get("sample")?.shape[0] === 1) {
      // A UNet exported with a fixed batch of 1 gets the two halves in separate calls.
      uncondOutput = await this.runUnet(sample, dims, 1, t, uncond);
      condOutput = await this.runUnet(sample, dims, 1, t, cond);
    } else {
      pairInput.set(sample, 0);
      pairInput.set(sample, half);
      const output = await this.runUnet(pairInput, dims, 2, t, pair);
      uncondOutput = output.subarray(0, half);
      condOutput = output.subarray(half);
    }
    return { uncond: uncondOutput, cond: condOutput, scale };
  }

  /** Runs the UNet on `rows` stacked items; `dims` is one item's latent shape [1, C, h, w]. */
  private async runUnet(
    sample: Float32Array,
    dims: number[],
    rows: number,
    t: number,
    hidden: Float32Array,
  ): Promise<Float32Array> {
    const length = this.model.tokenizer.contextLength;
    const outputs = await this.model.unet.run({
      sample: { data: sample, dims: [rows, ...dims.slice(1)] },
      timestep: this.timestepTensor(t, rows),
      encoder_hidden_states: { data: hidden, dims: [rows, length, hidden.length / rows / length] },
    });
    return [...outputs.values()][0].data;
  }

  /**
   * Builds the timestep input with the shape the UNet declares: a scalar for rank 0, [1] when
   * axis 0 is fixed at 1, else one value per row. Integer inputs get the rounded timestep
   * (Euler's timesteps are fractional).
   */
  private timestepTensor(t: number, rows: number): { data: number[]; dims: number[] } {
    const shape = this.model.unet.inputs.get("timestep")?.shape ?? [1];
    if (shape.length === 0) return { data: [t], dims: [] };
    const count = shape[0] === 1 ? 1 : rows;
    return { data: new Array<number>(count).fill(t), dims: [count] };
  }

  private async decodeLatents(
    latents: Float32Array[],
    dims: number[],
    width: number,
    height: number,
    seeds: string[],
  ): Promise<RgbImage[]> {
    const { vaeDecoder, scalingFactor } = this.model;
    const images: RgbImage[] = [];
    for (let i = 0; i < latents.length; i++) {
      const unscaled = scaled(latents[i], 1 / scalingFactor);
      const output = [
        ...(await vaeDecoder.run({ latent_sample: { data: unscaled, dims } })).values(),
      ][0];
      const image = tensorToImage(output.data, width, height);
      if (image === undefined) throw new NonFiniteOutputError(i, seeds[i], vaeDecoder.file);
      images.push(image);
    }
    return images;
  }
}

/** One UNet evaluation: an item's latent (shape `dims`, [1, C, h, w]) at timestep t. */
interface UnetCall {
  sample: Float32Array;
  dims: number[];
  t: number;
  text: TextConditioning;
  scale: number;
}

/** One item's text embeddings; `pair` stacks [uncond, cond] once for every step's UNet call. */
interface TextConditioning {
  cond: Float32Array;
  uncond?: Float32Array;
  pair?: Float32Array;
}

function textConditioning(cond: Float32Array, uncond: Float32Array | undefined): TextConditioning {
  return uncond === undefined ? { cond } : { cond, uncond, pair: concatFloat32([uncond, cond]) };
}

/**
 * Steps one item's latents. With guidance, schedulers that have a fused guided step apply
 * guidance and the step in one pass; the others get the guided output.
 */
function schedulerStep(
  scheduler: Scheduler,
  prediction: Float32Array | Guidance,
  index: number,
  sample: Float32Array,
  noise: NoiseSource,
): Float32Array {
  if (prediction instanceof Float32Array) return scheduler.step(prediction, index, sample, noise);
  const fused = scheduler.guidedStep?.(prediction, index, sample);
  return fused ?? scheduler.step(guidedOutput(prediction), index, sample, noise);
}

function parseRequest(input: Img2ImgRequest): z.output<typeof img2imgRequestSchema> {
  const parsed = img2imgRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const received = "input" in issue ? ` (got ${JSON.stringify(issue.input)})` : "";
    throw new UserError(`img2img option "${issue.path.join(".")}" ${issue.message}${received}.`);
  }
  return parsed.data;
}

/** Keeps the mean of an 8-channel (mean, log-variance) output, then scales it. */
function scaleLatent(
  data: Float32Array,
  dims: number[],
  channels: number,
  factor: number,
  file: string,
): Float32Array {
  const outputChannels = dims[1];
  if (outputChannels !== channels && outputChannels !== 2 * channels) {
    throw new UserError(
      `${file} returned ${outputChannels} channels; expected ${channels} (a latent) or ${2 * channels} (mean and log-variance).`,
    );
  }
  const length = channels * dims[2] * dims[3];
  return scaled(data.subarray(0, length), factor);
}

function checkFinite(values: Float32Array, itemIndex: number, seed: string, file: string): void {
  if (!allFinite(values)) throw new NonFiniteOutputError(itemIndex, seed, file);
}

function copyImage(image: RgbImage): RgbImage {
  return { data: Uint8Array.from(image.data), width: image.width, height: image.height };
}

function isRgbImage(value: unknown): value is RgbImage {
  const image = value as RgbImage;
  return (
    typeof value === "object" &&
    value !== null &&
    image.data instanceof Uint8Array &&
    Number.isInteger(image.width) &&
    Number.isInteger(image.height) &&
    image.data.length === image.width * image.height * 3
  );
}

/** Returns sha256 over "relative path, file sha256" lines of every file, sorted by path. */
async function hashFolder(folder: string): Promise<string> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    // Dirent.parentPath arrived in Node 20.12; earlier 20.x releases name it `path`.
    .map((entry) => {
      const parent =
        (entry as { parentPath?: string; path?: string }).parentPath ??
        (entry as { path: string }).path;
      return relative(folder, join(parent, entry.name)).split("\\").join("/");
    })
    .sort();
  const lines: string[] = [];
  for (const file of files) lines.push(`${file}\t${await hashFile(join(folder, file))}`);
  return hashBytes(lines.join("\n"));
}
