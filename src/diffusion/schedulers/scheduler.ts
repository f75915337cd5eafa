import type { SchedulerName } from "./config.js";

/** Draws standard normal noise shaped like the batch latents, item by item from seeded streams. */
export type NoiseSource = () => Float32Array;

/**
 * A denoising scheduler over a fixed schedule. Every method works on the whole batch with
 * per-element arithmetic, so an item's values never depend on the other items in the batch.
 * `index` is the position in `timesteps`: img2img starts at `startImg2img(strength)`.
 */
export interface Scheduler {
  readonly name: SchedulerName;
  /** Number of inference steps the schedule was made for. */
  readonly steps: number;
  /** Timesteps of the UNet calls, in order (PNDM repeats one, so it may be longer than steps). */
  readonly timesteps: number[];
  /** Scale of the starting noise in text-to-image use (1 for DDIM and PNDM). */
  readonly initNoiseSigma: number;
  /**
   * Prepares img2img at a strength and returns the index of its first UNet call;
   * `timesteps.length` means nothing is left to denoise. PNDM rebuilds its schedule here.
   */
  startImg2img(strength: number): number;
  /** Noises clean latents to the level of `timesteps[index]`. */
  addNoise(clean: Float32Array, noise: Float32Array, index: number): Float32Array;
  /** Scales the latents before the UNet call at `index` (Euler divides by sqrt(sigma^2 + 1)). */
  scaleModelInput(sample: Float32Array, index: number): Float32Array;
  /**
   * Optional fast path for classifier-free guidance: the step for the model output
   * `guidedOutput(guidance)`, bitwise equal to `step` on it, in one pass without materialising
   * the guided output. Returns undefined where the scheduler has no such form, and the caller
   * then calls `step`.
   */
  guidedStep?(guidance: Guidance, index: number, sample: Float32Array): Float32Array | undefined;
  /** Returns the latents after the step from `timesteps[index]` given the UNet's output. */
  step(
    modelOutput: Float32Array,
    index: number,
    sample: Float32Array,
    noise: NoiseSource,
  ): Float32Array;
}

/** The two UNet outputs of classifier-free guidance and its scale. */
export interface Guidance {
  uncond: Float32Array;
  cond: Float32Array;
  scale: number;
}

/** Returns the guided model output uncond + scale * (cond - uncond), stored as float32. */
export function guidedOutput(guidance: Guidance): Float32Array {
  const { uncond, cond, scale } = guidance;
  const out = new Float32Array(uncond.length);
  for (let i = 0; i < out.length; i++) {
    const u = uncond[i];
    out[i] = u + scale * (cond[i] - u);
  }
  return out;
}

/**
 * Returns a * x[i] + b * g[i] where g is `guidedOutput(guidance)`, in one pass. Each g[i] is
 * rounded to float32 first (Math.fround), so the result equals
 * `linearCombination(a, x, b, guidedOutput(guidance))` bit for bit.
 */
export function linearCombinationGuided(
  a: number,
  x: Float32Array,
  b: number,
  guidance: Guidance,
): Float32Array {
  const { uncond, cond, scale } = guidance;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const u = uncond[i];
    out[i] = a * x[i] + b * Math.fround(u + scale * (cond[i] - u));
  }
  return out;
}

/** Returns a[i] * x[i] + b[i] * y[i] computed in float64 and stored as float32. */
export function linearCombination(
  a: number,
  x: Float32Array,
  b: number,
  y: Float32Array,
): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = a * x[i] + b * y[i];
  return out;
}

/** Returns x scaled by a factor. */
export function scaled(x: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * factor;
  return out;
}
