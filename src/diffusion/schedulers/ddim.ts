import {
  alphasCumprod,
  checkStepCount,
  img2imgStartIndex,
  spacedTimesteps,
  type SchedulerConfig,
} from "./config.js";
import {
  linearCombination,
  linearCombinationGuided,
  type Guidance,
  type NoiseSource,
  type Scheduler,
} from "./scheduler.js";

/**
 * DDIM (Song et al. 2021, "Denoising Diffusion Implicit Models", eq. 12). With eta 0 (the
 * default) the step is deterministic:
 *   x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)
 *   x_prev = sqrt(abar_prev) x0 + sqrt(1 - abar_prev - sigma^2) eps + sigma z
 * where sigma = eta sqrt((1 - abar_prev) / (1 - abar_t)) sqrt(1 - abar_t / abar_prev).
 * The step after the last timestep uses abar = 1 when `set_alpha_to_one` (default true), else
 * abar_0, as diffusers does. Default spacing: leading.
 */
export class DdimScheduler implements Scheduler {
  readonly name = "ddim" as const;
  readonly timesteps: number[];
  readonly initNoiseSigma = 1;
  private readonly alphaBar: Float64Array;
  private readonly finalAlphaBar: number;

  constructor(
    private readonly config: SchedulerConfig,
    readonly steps: number,
    private readonly eta = 0,
  ) {
    checkStepCount(config, steps);
    this.alphaBar = alphasCumprod(config);
    this.finalAlphaBar = (config.set_alpha_to_one ?? true) ? 1 : this.alphaBar[0];
    this.timesteps = spacedTimesteps(config, steps, config.timestep_spacing ?? "leading");
  }

  startImg2img(strength: number): number {
    return img2imgStartIndex(this.steps, strength);
  }

  addNoise(clean: Float32Array, noise: Float32Array, index: number): Float32Array {
    const abar = this.alphaBar[this.timesteps[index]];
    return linearCombination(Math.sqrt(abar), clean, Math.sqrt(1 - abar), noise);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /** Returns abar at a timestep and at the previous one (t - T / steps). */
  coefficients(index: number): { alphaBar: number; alphaBarPrev: number } {
    const t = this.timesteps[index];
    const previous = t - Math.floor(this.config.num_train_timesteps / this.steps);
    const alphaBarPrev = previous >= 0 ? this.alphaBar[previous] : this.finalAlphaBar;
    return { alphaBar: this.alphaBar[t], alphaBarPrev };
  }

  /**
   * Returns c_x and c_eps of the fused step x_prev = c_x x + c_eps eps, which holds for epsilon
   * prediction without clipping and eta 0; undefined otherwise.
   */
  private fusedCoefficients(index: number): { sample: number; output: number } | undefined {
    const { alphaBar, alphaBarPrev, sigma, direction } = this.stepTerms(index);
    if (this.config.prediction_type !== "epsilon" || this.config.clip_sample || sigma !== 0) {
      return undefined;
    }
    const ratio = Math.sqrt(alphaBarPrev / alphaBar);
    return { sample: ratio, output: direction - ratio * Math.sqrt(1 - alphaBar) };
  }

  /** Returns abar, abar_prev, sigma and the direction coefficient sqrt(1 - abar_prev - sigma^2). */
  private stepTerms(index: number): {
    alphaBar: number;
    alphaBarPrev: number;
    sigma: number;
    direction: number;
  } {
    const { alphaBar, alphaBarPrev } = this.coefficients(index);
    const variance = ((1 - alphaBarPrev) / (1 - alphaBar)) * (1 - alphaBar / alphaBarPrev);
    const sigma = this.eta * Math.sqrt(variance);
    const direction = Math.sqrt(Math.max(1 - alphaBarPrev - sigma * sigma, 0));
    return { alphaBar, alphaBarPrev, sigma, direction };
  }

  guidedStep(guidance: Guidance, index: number, sample: Float32Array): Float32Array | undefined {
    const fused = this.fusedCoefficients(index);
    if (fused === undefined) return undefined;
    return linearCombinationGuided(fused.sample, sample, fused.output, guidance);
  }

  step(
    modelOutput: Float32Array,
    index: number,
    sample: Float32Array,
    noise: NoiseSource,
  ): Float32Array {
    const fused = this.fusedCoefficients(index);
    if (fused !== undefined) {
      // Fused form of the same step: x_prev = c_x x + c_eps eps, one pass over the latents.
      return linearCombination(fused.sample, sample, fused.output, modelOutput);
    }
    const { alphaBar, alphaBarPrev, sigma, direction } = this.stepTerms(index);
    const { predictedClean, predictedNoise } = splitPrediction(
      this.config,
      modelOutput,
      sample,
      alphaBar,
    );
    const previous = linearCombination(
      Math.sqrt(alphaBarPrev),
      predictedClean,
      direction,
      predictedNoise,
    );
    if (sigma > 0) {
      const z = noise();
      for (let i = 0; i < previous.length; i++) previous[i] += sigma * z[i];
    }
    return previous;
  }
}

/**
 * Returns the predicted clean latents and noise from the UNet output, for epsilon or
 * v prediction (v = sqrt(abar) eps - sqrt(1 - abar) x0), clipping x0 when the config sets clip_sample.
 */
export function splitPrediction(
  config: SchedulerConfig,
  modelOutput: Float32Array,
  sample: Float32Array,
  alphaBar: number,
): { predictedClean: Float32Array; predictedNoise: Float32Array } {
  const a = Math.sqrt(alphaBar);
  const b = Math.sqrt(1 - alphaBar);
  let predictedClean: Float32Array;
  let predictedNoise: Float32Array;
  // Clipping x0 leaves eps as predicted (diffusers' default use_clipped_model_output=False).
  if (config.prediction_type === "epsilon") {
    predictedNoise = modelOutput;
    predictedClean = linearCombination(1 / a, sample, -b / a, modelOutput);
  } else {
    predictedClean = linearCombination(a, sample, -b, modelOutput);
    predictedNoise = linearCombination(a, modelOutput, b, sample);
  }
  if (config.clip_sample) {
    const range = config.clip_sample_range;
    for (let i = 0; i < predictedClean.length; i++) {
      predictedClean[i] = Math.min(Math.max(predictedClean[i], -range), range);
    }
  }
  return { predictedClean, predictedNoise };
}
