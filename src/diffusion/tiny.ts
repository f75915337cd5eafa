import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../core/atomic.js";
import { Random } from "../core/rng.js";
import { GraphBuilder } from "../onnx/graph.js";
import { CLIP_CONTEXT_LENGTH } from "./tokenizer.js";
import { tinyBpeFiles } from "./tiny-tokenizer.js";

/** Options of writeTinyModel. */
export interface TinyModelOptions {
  /** Seed of the random weights; default 0. */
  seed?: number;
}

const HIDDEN = 32;
const UNET_CHANNELS = 32;
const VAE_CHANNELS = 16;
const LATENT_CHANNELS = 4;
const TIME_FREQUENCIES = 8;

/** The scheduler config of Stable Diffusion 1.x (runwayml/stable-diffusion-v1-5). */
export const SD1_SCHEDULER_CONFIG = {
  _class_name: "PNDMScheduler",
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  trained_betas: null,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  clip_sample: false,
};

/**
 * Writes a random-weight Stable Diffusion model in the diffusers ONNX layout, about 0.5 MB.
 * The text encoder is a token + position embedding and one residual tanh layer (width 32). The
 * UNet is one level of 3x3 convolutions at 1/8 and 1/16 of the image size with a skip
 * connection, conditioned on sinusoidal timestep features and the mean text embedding. Its
 * weights sit in unet/weights.pb as ONNX external data. The VAE encoder is an 8x8 stride-8
 * convolution and the decoder 1x1 convolutions with DepthToSpace 8. A small BPE tokenizer and
 * the SD 1.x scheduler config complete the folder. Its images are noise-like.
 */
export async function writeTinyModel(dir: string, options: TinyModelOptions = {}): Promise<void> {
  const random = new Random(`tiny-model:${options.seed ?? 0}`);
  const { vocab, merges } = tinyBpeFiles();
  const vocabSize = Math.max(...Object.values(vocab)) + 1;

  // 1. The four networks.
  await writeModel(dir, "text_encoder", textEncoderGraph(random, vocabSize));
  await writeModel(dir, "unet", unetGraph(random));
  await writeModel(dir, "vae_encoder", vaeEncoderGraph(random));
  await writeModel(dir, "vae_decoder", vaeDecoderGraph(random));

  // 2. Tokenizer, scheduler and configs.
  await writeJsonAtomic(join(dir, "tokenizer/vocab.json"), vocab);
  await writeFileAtomic(join(dir, "tokenizer/merges.txt"), merges);
  await writeJsonAtomic(join(dir, "tokenizer/tokenizer_config.json"), {
    model_max_length: CLIP_CONTEXT_LENGTH,
    bos_token: "<|startoftext|>",
    eos_token: "<|endoftext|>",
    pad_token: "<|endoftext|>",
    unk_token: "<|endoftext|>",
  });
  await writeJsonAtomic(join(dir, "scheduler/scheduler_config.json"), SD1_SCHEDULER_CONFIG);
  const vaeConfig = { latent_channels: LATENT_CHANNELS, scaling_factor: 0.18215 };
  await writeJsonAtomic(join(dir, "vae_encoder/config.json"), vaeConfig);
  await writeJsonAtomic(join(dir, "vae_decoder/config.json"), vaeConfig);
  await writeJsonAtomic(join(dir, "model_index.json"), {
    _class_name: "OnnxStableDiffusionImg2ImgPipeline",
    _d3s_note: "random weights written by d3s model tiny; for trying the pipeline only",
    text_encoder: ["diffusers", "OnnxRuntimeModel"],
    tokenizer: ["transformers", "CLIPTokenizer"],
    unet: ["diffusers", "OnnxRuntimeModel"],
    vae_encoder: ["diffusers", "OnnxRuntimeModel"],
    vae_decoder: ["diffusers", "OnnxRuntimeModel"],
    scheduler: ["diffusers", "PNDMScheduler"],
    safety_checker: [null, null],
    feature_extractor: [null, null],
  });
}

async function writeModel(dir: string, part: string, graph: GraphBuilder): Promise<void> {
  const { model, externalFiles } = graph.build(part);
  for (const [name, bytes] of externalFiles) await writeFileAtomic(join(dir, part, name), bytes);
  await writeFileAtomic(join(dir, part, "model.onnx"), model);
}

/** Gaussian weights with standard deviation gain / sqrt(fanIn). */
function weights(random: Random, dims: number[], fanIn: number, gain = 1): Float32Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = random.normals(count);
  const scale = gain / Math.sqrt(fanIn);
  for (let i = 0; i < count; i++) values[i] *= scale;
  return values;
}

function silu(g: GraphBuilder, x: string): string {
  return g.node("Mul", [x, g.node("Sigmoid", [x])]);
}

function textEncoderGraph(random: Random, vocabSize: number): GraphBuilder {
  const g = new GraphBuilder(
    [{ name: "input_ids", type: "int32", shape: ["batch", CLIP_CONTEXT_LENGTH] }],
    [
      { name: "last_hidden_state", type: "float", shape: ["batch", CLIP_CONTEXT_LENGTH, HIDDEN] },
      { name: "pooler_output", type: "float", shape: ["batch", HIDDEN] },
    ],
  );
  const tokens = g.constant(weights(random, [vocabSize, HIDDEN], 1, 0.5), [vocabSize, HIDDEN]);
  const positions = g.constant(weights(random, [CLIP_CONTEXT_LENGTH, HIDDEN], 1, 0.1), [
    CLIP_CONTEXT_LENGTH,
    HIDDEN,
  ]);
  const embedded = g.node("Add", [g.node("Gather", [tokens, "input_ids"], { axis: 0 }), positions]);
  const projection = g.constant(weights(random, [HIDDEN, HIDDEN], HIDDEN), [HIDDEN, HIDDEN]);
  const layer = g.node("Tanh", [g.node("MatMul", [embedded, projection])]);
  g.node("Add", [embedded, layer], {}, ["last_hidden_state"]);
  g.node("ReduceMean", ["last_hidden_state"], { axes: [1], keepdims: 0 }, ["pooler_output"]);
  return g;
}

function unetGraph(random: Random): GraphBuilder {
  const C = UNET_CHANNELS;
  const g = new GraphBuilder(
    [
      { name: "sample", type: "float", shape: ["batch", LATENT_CHANNELS, "height", "width"] },
      { name: "timestep", type: "float", shape: ["steps"] },
      {
        name: "encoder_hidden_states",
        type: "float",
        shape: ["batch", CLIP_CONTEXT_LENGTH, HIDDEN],
      },
    ],
    [{ name: "out_sample", type: "float", shape: ["batch", LATENT_CHANNELS, "height", "width"] }],
  );
  const external = (name: string, dims: number[], fanIn: number, gain = 1) =>
    g.initializer({ name, dims, data: weights(random, dims, fanIn, gain), external: "weights.pb" });

  // Timestep features: sin and cos of t at geometric frequencies 1 .. 1/1000.
  const frequencies = Array.from(
    { length: TIME_FREQUENCIES },
    (_, k) => 1000 ** (-k / (TIME_FREQUENCIES - 1)),
  );
  const phase = g.node("Mul", [
    g.node("Unsqueeze", ["timestep", g.constantInt64([1])]),
    g.constant(frequencies, [1, TIME_FREQUENCIES]),
  ]);
  const features = g.node("Concat", [g.node("Sin", [phase]), g.node("Cos", [phase])], { axis: 1 });
  const timeEmbedding = g.node("MatMul", [
    features,
    external("time_proj", [2 * TIME_FREQUENCIES, C], 2 * TIME_FREQUENCIES),
  ]);

  // Text conditioning: the mean hidden state, projected to the channel count.
  const pooled = g.node("ReduceMean", ["encoder_hidden_states"], { axes: [1], keepdims: 0 });
  const textEmbedding = g.node("MatMul", [pooled, external("text_proj", [HIDDEN, C], HIDDEN)]);
  const condition = g.node("Reshape", [
    g.node("Add", [timeEmbedding, textEmbedding]),
    g.constantInt64([-1, C, 1, 1]),
  ]);

  // A one-level UNet: 3x3 convolutions at full and half resolution with a skip connection.
  const conv = (x: string, name: string, from: number, to: number, attributes = {}, gain = 1) =>
    g.node(
      "Conv",
      [
        x,
        external(`${name}.weight`, [to, from, 3, 3], from * 9, gain),
        external(`${name}.bias`, [to], 1, 0.01),
      ],
      { pads: [1, 1, 1, 1], ...attributes },
    );
  const h1 = silu(g, g.node("Add", [conv("sample", "conv_in", LATENT_CHANNELS, C), condition]));
  const down = silu(g, conv(h1, "down", C, 2 * C, { strides: [2, 2] }));
  const mid = silu(g, conv(down, "mid", 2 * C, 2 * C));
  const upsampled = g.node("Resize", [mid, "", g.constant([1, 1, 2, 2], [4])], { mode: "nearest" });
  const up = silu(g, g.node("Add", [conv(upsampled, "up", 2 * C, C), h1]));
  const weight = external("conv_out.weight", [LATENT_CHANNELS, C, 3, 3], C * 9, 0.5);
  g.node("Conv", [up, weight], { pads: [1, 1, 1, 1] }, ["out_sample"]);
  return g;
}

function vaeEncoderGraph(random: Random): GraphBuilder {
  const g = new GraphBuilder(
    [{ name: "sample", type: "float", shape: ["batch", 3, "height", "width"] }],
    [
      {
        name: "latent_sample",
        type: "float",
        shape: ["batch", LATENT_CHANNELS, "height_latent", "width_latent"],
      },
    ],
  );
  const patch = g.constant(weights(random, [VAE_CHANNELS, 3, 8, 8], 3 * 64), [
    VAE_CHANNELS,
    3,
    8,
    8,
  ]);
  const hidden = silu(g, g.node("Conv", ["sample", patch], { strides: [8, 8] }));
  const project = g.constant(
    weights(random, [LATENT_CHANNELS, VAE_CHANNELS, 1, 1], VAE_CHANNELS, 4),
    [LATENT_CHANNELS, VAE_CHANNELS, 1, 1],
  );
  g.node("Conv", [hidden, project], {}, ["latent_sample"]);
  return g;
}

function vaeDecoderGraph(random: Random): GraphBuilder {
  const g = new GraphBuilder(
    [
      {
        name: "latent_sample",
        type: "float",
        shape: ["batch", LATENT_CHANNELS, "height_latent", "width_latent"],
      },
    ],
    [{ name: "sample", type: "float", shape: ["batch", 3, "height", "width"] }],
  );
  const expand = g.constant(
    weights(random, [VAE_CHANNELS, LATENT_CHANNELS, 1, 1], LATENT_CHANNELS),
    [VAE_CHANNELS, LATENT_CHANNELS, 1, 1],
  );
  const hidden = silu(g, g.node("Conv", ["latent_sample", expand]));
  const toPixels = g.constant(weights(random, [3 * 64, VAE_CHANNELS, 1, 1], VAE_CHANNELS, 0.5), [
    3 * 64,
    VAE_CHANNELS,
    1,
    1,
  ]);
  const patches = g.node("Conv", [hidden, toPixels]);
  g.node("Tanh", [g.node("DepthToSpace", [patches], { blocksize: 8, mode: "CRD" })], {}, [
    "sample",
  ]);
  return g;
}
