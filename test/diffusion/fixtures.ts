// Shared inputs of the diffusion tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RgbImage } from "../../src/images/decode.js";
import { tinyBpeFiles } from "../../src/diffusion/tiny-tokenizer.js";
import { ClipTokenizer } from "../../src/diffusion/tokenizer.js";
import { loadStableDiffusion, type StableDiffusionPipeline } from "../../src/diffusion/pipeline.js";
import {
  SCALING,
  VAE_BIAS,
  VAE_GAIN,
  writeOracleModel,
  type OracleOptions,
} from "./oracle-model.js";

export const SIZE = 16;
export const CELLS = (SIZE / 8) ** 2;

/** Pixel levels (in [-1, 1]) the oracle's x0 decodes to, one per latent cell and channel. */
export function targetLevels(): Float32Array {
  return Float32Array.from({ length: 3 * CELLS }, (_, i) => -0.75 + (1.5 * i) / (3 * CELLS - 1));
}

/** Returns the scaled latent that decodes to targetLevels(): 0.18215 (2 p + 0.5), channel 3 = 0.1. */
export function targetLatent(): Float32Array {
  const levels = targetLevels();
  const x0 = new Float32Array(4 * CELLS).fill(0.1);
  levels.forEach((p, i) => (x0[i] = SCALING * (VAE_GAIN * p + VAE_BIAS)));
  return x0;
}

/** Returns the image targetLatent() decodes to: each 8x8 block takes its cell's level. */
export function targetImage(): RgbImage {
  return blockImage(targetLevels());
}

/** Returns an image constant on 8x8 blocks, from levels in [-1, 1] stored CHW per cell. */
export function blockImage(levels: ArrayLike<number>): RgbImage {
  const data = new Uint8Array(SIZE * SIZE * 3);
  const side = SIZE / 8;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const cell = Math.floor(y / 8) * side + Math.floor(x / 8);
      for (let c = 0; c < 3; c++)
        data[(y * SIZE + x) * 3 + c] = Math.round((levels[c * CELLS + cell] + 1) * 127.5);
    }
  }
  return { data, width: SIZE, height: SIZE };
}

/** Returns a flat image of one RGB value. */
export function flatImage(rgb: [number, number, number], size = SIZE): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(rgb, i * 3);
  return { data, width: size, height: size };
}

/** Writes an oracle folder in a temporary directory, loads it and removes it afterwards. */
export async function withOracle<T>(
  options: Partial<OracleOptions>,
  body: (pipeline: StableDiffusionPipeline, dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "d3s-oracle-"));
  try {
    await writeOracleModel(dir, { x0: targetLatent(), size: SIZE, ...options });
    const pipeline = await loadStableDiffusion(dir, { threads: 1 });
    try {
      return await body(pipeline, dir);
    } finally {
      await pipeline.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Largest absolute difference between two arrays. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Returns the oracle text encoder's mean hidden state for a prompt: mean token id / 50000. */
export function promptMean(text: string): number {
  const { vocab, merges } = tinyBpeFiles();
  const ranks = new Map(
    merges
      .split("\n")
      .slice(1)
      .filter(Boolean)
      .map((merge, rank) => [merge, rank]),
  );
  const tokenizer = new ClipTokenizer({ vocab: new Map(Object.entries(vocab)), ranks });
  return tokenizer.encode(text).reduce((a, b) => a + b, 0) / 77 / 50000;
}
