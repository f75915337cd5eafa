// Builds Stable Diffusion folders whose networks have closed-form outputs, for the tests:
// a linear VAE (8x8 average pool + 1x1 affine map, inverted by the decoder on images that are
// constant on 8x8 blocks), a text encoder whose hidden states are token id / 50000, and a UNet
// that predicts exactly the noise leading to a fixed clean latent x0:
//   eps = (x_t - sqrt(abar_t) x0) / sqrt(1 - abar_t) + gain * (mean(hidden) - mean(hidden of ""))
// with abar_t = 1 / (1 + sigma_t^2) and sigma_t linearly interpolated between integer steps, so
// fractional Euler timesteps get the matching noise level.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GraphBuilder, type DataTypeName } from "../../src/onnx/graph.js";
import { tinyBpeFiles } from "../../src/diffusion/tiny-tokenizer.js";
import { SD1_SCHEDULER_CONFIG } from "../../src/diffusion/tiny.js";

export const HIDDEN = 8;
export const VAE_GAIN = 2;
export const VAE_BIAS = 0.5;
export const SCALING = 0.18215;

export interface OracleOptions {
  /** Image side in pixels (a multiple of 8); default 16. */
  size?: number;
  /** Clean scaled latent the UNet steers to, length 4 * (size/8)^2. */
  x0: Float32Array;
  /** Weight of the text-dependent term; 0 makes cond and uncond equal. Default 0. */
  guidanceGain?: number;
  /** Mean hidden state of the empty prompt (token ids / 50000), subtracted in the gain term. */
  emptyMean?: number;
  timestepType?: DataTypeName;
  timestepShape?: Array<number | string>;
  float16?: boolean;
  encoderOutput?: "latent" | "mean-logvar" | "random-normal";
  decoderNaN?: boolean;
  scheduler?: Record<string, unknown>;
  /** Name of the UNet's first input (tests of wrong inputs change it). */
  unetSampleName?: string;
  unetSampleType?: DataTypeName;
  /** Adds an unused UNet input of this name (SDXL's UNet takes `text_embeds`). */
  extraUnetInput?: string;
  /** Batch axis of the UNet's inputs: a number fixes it (default symbolic). */
  unetBatch?: number | string;
  /** ONNX opset of the VAE encoder; default 17. */
  encoderOpset?: number;
  /** Stores the VAE encoder's weights as external data (vae_encoder/weights.pb). */
  encoderExternal?: boolean;
  /** Length axis of the text encoder's input_ids; default 77. */
  textLength?: number;
  /** Written to vae_decoder/config.json when given. */
  vaeConfig?: Record<string, unknown>;
  /** Extra keys of model_index.json. */
  modelIndex?: Record<string, unknown>;
}

/** sigma_t = sqrt((1 - abar_t) / abar_t) for SD 1.x betas (scaled_linear 0.00085..0.012). */
export function sd1Sigmas(): Float64Array {
  const abar = sd1AlphasCumprod();
  return abar.map((a) => Math.sqrt((1 - a) / a));
}

/** abar_t = prod (1 - beta_s), beta_s = (sqrt(0.00085) + s (sqrt(0.012) - sqrt(0.00085)) / 999)^2. */
export function sd1AlphasCumprod(): Float64Array {
  const from = Math.sqrt(0.00085);
  const to = Math.sqrt(0.012);
  const out = new Float64Array(1000);
  let product = 1;
  for (let s = 0; s < 1000; s++) {
    product *= 1 - (from + (s * (to - from)) / 999) ** 2;
    out[s] = product;
  }
  return out;
}

/** Returns the scaled latent the oracle VAE encodes a flat colour (p in [-1, 1]) to. */
export function encodedLatent(p: [number, number, number], cells: number): Float32Array {
  const out = new Float32Array(4 * cells);
  const channels = [...p, (p[0] + p[1] + p[2]) / 3];
  channels.forEach((value, c) =>
    out.fill(SCALING * (VAE_GAIN * value + VAE_BIAS), c * cells, (c + 1) * cells),
  );
  return out;
}

/** Writes a complete oracle model folder. */
export async function writeOracleModel(dir: string, options: OracleOptions): Promise<void> {
  const floatType: DataTypeName = options.float16 ? "float16" : "float";
  await writeGraph(dir, "text_encoder", textEncoder(options.textLength ?? 77));
  await writeGraph(dir, "unet", unet(options, floatType));
  await writeGraph(dir, "vae_encoder", vaeEncoder(options, floatType));
  await writeGraph(dir, "vae_decoder", vaeDecoder(options, floatType));
  const { vocab, merges } = tinyBpeFiles();
  await writeText(join(dir, "tokenizer/vocab.json"), JSON.stringify(vocab));
  await writeText(join(dir, "tokenizer/merges.txt"), merges);
  await writeText(
    join(dir, "scheduler/scheduler_config.json"),
    JSON.stringify({ ...SD1_SCHEDULER_CONFIG, ...options.scheduler }),
  );
  const index = { _class_name: "OnnxStableDiffusionPipeline", ...options.modelIndex };
  await writeText(join(dir, "model_index.json"), JSON.stringify(index));
  if (options.vaeConfig)
    await writeText(join(dir, "vae_decoder/config.json"), JSON.stringify(options.vaeConfig));
}

async function writeText(path: string, text: string | Uint8Array): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, text);
}

async function writeGraph(dir: string, part: string, graph: GraphBuilder): Promise<void> {
  const { model, externalFiles } = graph.build(part);
  for (const [name, bytes] of externalFiles) await writeText(join(dir, part, name), bytes);
  await writeText(join(dir, part, "model.onnx"), model);
}

/** Casts a graph input to float32 unless it already is. */
function toFloat(g: GraphBuilder, name: string, type: DataTypeName): string {
  return type === "float" ? name : g.node("Cast", [name], { to: 1 });
}

/** Writes a float32 value to an output, casting to float16 when needed. */
function output(g: GraphBuilder, value: string, name: string, type: DataTypeName): void {
  if (type === "float16") g.node("Cast", [value], { to: 10 }, [name]);
  else g.node("Identity", [value], {}, [name]);
}

function textEncoder(length: number): GraphBuilder {
  const g = new GraphBuilder(
    [{ name: "input_ids", type: "int64", shape: ["batch", length] }],
    [{ name: "last_hidden_state", type: "float", shape: ["batch", length, HIDDEN] }],
  );
  const ids = g.node("Unsqueeze", [g.node("Cast", ["input_ids"], { to: 1 }), g.constantInt64([2])]);
  g.node("Mul", [ids, g.constant(new Array(HIDDEN).fill(1 / 50000), [1, 1, HIDDEN])], {}, [
    "last_hidden_state",
  ]);
  return g;
}

function unet(o: OracleOptions, floatType: DataTypeName): GraphBuilder {
  const cells = ((o.size ?? 16) / 8) ** 2;
  const side = (o.size ?? 16) / 8;
  const sampleName = o.unetSampleName ?? "sample";
  const g = new GraphBuilder(
    [
      {
        name: sampleName,
        type: o.unetSampleType ?? floatType,
        shape: [o.unetBatch ?? "batch", 4, side, side],
      },
      {
        name: "timestep",
        type: o.timestepType ?? "float",
        shape: o.timestepShape ?? [o.unetBatch ?? "batch"],
      },
      {
        name: "encoder_hidden_states",
        type: floatType,
        shape: [o.unetBatch ?? "batch", 77, HIDDEN],
      },
      ...(o.extraUnetInput
        ? [{ name: o.extraUnetInput, type: floatType, shape: ["batch", 1280] }]
        : []),
    ],
    [{ name: "out_sample", type: floatType, shape: ["batch", 4, side, side] }],
  );
  const x0 = g.initializer({
    name: "x0",
    dims: [1, 4, side, side],
    data: o.x0,
    external: "x0.bin",
  });
  if (o.x0.length !== 4 * cells) throw new Error("x0 has the wrong length");
  const sample = toFloat(g, sampleName, o.unetSampleType ?? floatType);

  // sigma at a fractional timestep: linear interpolation of the SD 1.x table.
  const t = g.node("Reshape", [
    g.node("Cast", ["timestep"], { to: 1 }),
    g.constantInt64([-1, 1, 1, 1]),
  ]);
  const clamped = g.node("Clip", [t, g.constant([0], []), g.constant([999], [])]);
  const floor = g.node("Floor", [clamped]);
  const fraction = g.node("Sub", [clamped, floor]);
  const low = g.node("Cast", [floor], { to: 7 });
  const high = g.node("Min", [
    g.node("Add", [low, g.constantInt64([1], [])]),
    g.constantInt64([999], []),
  ]);
  const table = g.constant(sd1Sigmas(), [1000]);
  const sigmaLow = g.node("Gather", [table, low]);
  const sigmaHigh = g.node("Gather", [table, high]);
  const sigma = g.node("Add", [
    sigmaLow,
    g.node("Mul", [fraction, g.node("Sub", [sigmaHigh, sigmaLow])]),
  ]);
  const root = g.node("Sqrt", [
    g.node("Add", [g.node("Mul", [sigma, sigma]), g.constant([1], [])]),
  ]);
  const sqrtAlphaBar = g.node("Div", [g.constant([1], []), root]);
  const sqrtOneMinus = g.node("Div", [sigma, root]);
  const eps = g.node("Div", [
    g.node("Sub", [sample, g.node("Mul", [sqrtAlphaBar, x0])]),
    sqrtOneMinus,
  ]);

  // Text term: gain * (mean hidden state - mean hidden state of the empty prompt).
  const hidden = toFloat(g, "encoder_hidden_states", floatType);
  const mean = g.node("Reshape", [
    g.node("ReduceMean", [hidden], { axes: [1, 2], keepdims: 1 }),
    g.constantInt64([-1, 1, 1, 1]),
  ]);
  const text = g.node("Mul", [
    g.node("Sub", [mean, g.constant([o.emptyMean ?? 0], [])]),
    g.constant([o.guidanceGain ?? 0], []),
  ]);
  let noise = g.node("Add", [eps, text]);
  if (o.extraUnetInput) {
    const unused = g.node("ReduceMean", [toFloat(g, o.extraUnetInput, floatType)], { keepdims: 0 });
    noise = g.node("Add", [noise, g.node("Mul", [unused, g.constant([0], [])])]);
  }
  output(g, noise, "out_sample", floatType);
  return g;
}

function vaeEncoder(o: OracleOptions, floatType: DataTypeName): GraphBuilder {
  const kind = o.encoderOutput ?? "latent";
  const channels = kind === "mean-logvar" ? 8 : 4;
  const g = new GraphBuilder(
    [{ name: "sample", type: floatType, shape: ["batch", 3, "height", "width"] }],
    [
      {
        name: kind === "mean-logvar" ? "latent_dist" : "latent_sample",
        type: floatType,
        shape: ["batch", channels, "h", "w"],
      },
    ],
    o.encoderOpset,
  );
  const pooled = g.node("AveragePool", [toFloat(g, "sample", floatType)], {
    kernel_shape: [8, 8],
    strides: [8, 8],
  });
  const k = VAE_GAIN;
  const weight = [k, 0, 0, 0, k, 0, 0, 0, k, k / 3, k / 3, k / 3];
  const weightName = o.encoderExternal
    ? g.initializer({
        name: "weight",
        dims: [4, 3, 1, 1],
        data: Float32Array.from(weight),
        external: "weights.pb",
      })
    : g.constant(weight, [4, 3, 1, 1]);
  const mean = g.node("Conv", [
    pooled,
    weightName,
    g.constant([VAE_BIAS, VAE_BIAS, VAE_BIAS, VAE_BIAS], [4]),
  ]);
  const name = kind === "mean-logvar" ? "latent_dist" : "latent_sample";
  if (kind === "latent") {
    output(g, mean, name, floatType);
    return g;
  }
  // log-variance -2 everywhere: std = exp(-1).
  const logVariance = g.node("Add", [
    g.node("Mul", [mean, g.constant([0], [])]),
    g.constant([-2], []),
  ]);
  if (kind === "mean-logvar") {
    output(g, g.node("Concat", [mean, logVariance], { axis: 1 }), name, floatType);
    return g;
  }
  const std = g.node("Exp", [g.node("Mul", [logVariance, g.constant([0.5], [])])]);
  const noise = g.node("RandomNormalLike", [mean]);
  output(g, g.node("Add", [mean, g.node("Mul", [std, noise])]), name, floatType);
  return g;
}

function vaeDecoder(o: OracleOptions, floatType: DataTypeName): GraphBuilder {
  const g = new GraphBuilder(
    [{ name: "latent_sample", type: floatType, shape: ["batch", 4, "h", "w"] }],
    [{ name: "sample", type: floatType, shape: ["batch", 3, "height", "width"] }],
  );
  const k = VAE_GAIN;
  const weight = [1 / k, 0, 0, 0, 0, 1 / k, 0, 0, 0, 0, 1 / k, 0];
  const bias = new Array(3).fill(-VAE_BIAS / k);
  let pixels = g.node("Conv", [
    toFloat(g, "latent_sample", floatType),
    g.constant(weight, [3, 4, 1, 1]),
    g.constant(bias, [3]),
  ]);
  pixels = g.node("Resize", [pixels, "", g.constant([1, 1, 8, 8], [4])], { mode: "nearest" });
  if (o.decoderNaN) pixels = g.node("Mul", [pixels, g.constant([NaN], [])]);
  output(g, pixels, "sample", floatType);
  return g;
}
