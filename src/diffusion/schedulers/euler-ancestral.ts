import {
  alphasCumprod,
  checkStepCount,
  img2imgStartIndex,
  roundHalfEven,
  type SchedulerConfig,
} from "./config.js";
import { linearCombination, scaled, type NoiseSource, type Scheduler } from "./scheduler.js";

/**
 * Euler ancestral sampling in the sigma parameterisation of Karras et al. 2022 ("Elucidating the
 * Design Space of Diffusion-Based Generative Models"): latents are x = x0 + sigma eps with
 * sigma_t = sqrt((1 - abar_t) / abar_t), the UNet receives x / sqrt(sigma^2 + 1), and each step
 * moves deterministically to sigma_down and adds fresh noise of scale sigma_up, where
 * sigma_up = sqrt(sigma_to^2 (sigma_from^2 - sigma_to^2) / sigma_from^2) and
 * sigma_down = sqrt(sigma_to^2 - sigma_up^2). Default spacing: linspace.
 */
export class EulerAncestralScheduler implements Scheduler {
  readonly name = "euler-ancestral" as const;
  readonly timesteps: number[];
  /** sigma per timestep, followed by a final 0. */
  readonly sigmas: number[];
  readonly initNoiseSigma: number;

  constructor(
    private readonly config: SchedulerConfig,
    readonly steps: number,
  ) {
    checkStepCount(config, steps);
    const spacing = config.timestep_spacing ?? "linspace";
    const alphaBar = alphasCumprod(config);
    const trainSigmas = Array.from(alphaBar, (abar) => Math.sqrt((1 - abar) / abar));
    this.timesteps = eulerTimesteps(config, steps, spacing);
    this.sigmas = [...this.timesteps.map((t) => interpolate(trainSigmas, t)), 0];
    const maxSigma = Math.max(...this.sigmas);
    this.initNoiseSigma = spacing === "leading" ? Math.sqrt(maxSigma ** 2 + 1) : maxSigma;
  }

  startImg2img(strength: number): number {
    return img2imgStartIndex(this.steps, strength);
  }

  addNoise(clean: Float32Array, noise: Float32Array, index: number): Float32Array {
    return linearCombination(1, clean, this.sigmas[index], noise);
  }

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    return scaled(sample, 1 / Math.sqrt(this.sigmas[index] ** 2 + 1));
  }

  step(
    modelOutput: Float32Array,
    index: number,
    sample: Float32Array,
    noise: NoiseSource,
  ): Float32Array {
    const sigma = this.sigmas[index];
    const sigmaTo = this.sigmas[index + 1];
    const sigmaUp = Math.sqrt((sigmaTo ** 2 * (sigma ** 2 - sigmaTo ** 2)) / sigma ** 2);
    const sigmaDown = Math.sqrt(sigmaTo ** 2 - sigmaUp ** 2);
    // x_prev = x + d (sigma_down - sigma) with d = (x - x0) / sigma. For epsilon prediction
    // d = eps, so x_prev = x + (sigma_down - sigma) eps in one pass.
    let previous: Float32Array;
    if (this.config.prediction_type === "epsilon") {
      previous = linearCombination(1, sample, sigmaDown - sigma, modelOutput);
    } else {
      const predictedClean = linearCombination(
        1 / (sigma * sigma + 1),
        sample,
        -sigma / Math.sqrt(sigma * sigma + 1),
        modelOutput,
      );
      const ratio = (sigmaDown - sigma) / sigma;
      previous = linearCombination(1 + ratio, sample, -ratio, predictedClean);
    }
    if (sigmaUp > 0) {
      const z = noise();
      for (let i = 0; i < previous.length; i++) previous[i] += sigmaUp * z[i];
    }
    return previous;
  }
}

/** Returns Euler's float timesteps, high to low, as diffusers computes them per spacing. */
function eulerTimesteps(config: SchedulerConfig, steps: number, spacing: string): number[] {
  const total = config.num_train_timesteps;
  const indices = Array.from({ length: steps }, (_, i) => i);
  if (spacing === "linspace") {
    return indices.map((i) => (steps === 1 ? 0 : (i * (total - 1)) / (steps - 1))).reverse();
  }
  if (spacing === "leading") {
    const ratio = Math.floor(total / steps);
    return indices.map((i) => i * ratio + config.steps_offset).reverse();
  }
  const ratio = total / steps;
  return indices.map((i) => roundHalfEven(total - i * ratio) - 1);
}

/** Linear interpolation of a table at a fractional index (numpy.interp on 0..n-1). */
function interpolate(table: number[], position: number): number {
  const clamped = Math.min(Math.max(position, 0), table.length - 1);
  const low = Math.floor(clamped);
  const high = Math.min(low + 1, table.length - 1);
  const fraction = clamped - low;
  return table[low] * (1 - fraction) + table[high] * fraction;
}
