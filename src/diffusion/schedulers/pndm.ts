import { logger } from "../../core/log.js";
import {
  alphasCumprod,
  checkStepCount,
  img2imgStartIndex,
  spacedTimesteps,
  type SchedulerConfig,
} from "./config.js";
import { linearCombination, type Scheduler } from "./scheduler.js";

/**
 * PNDM in its PLMS form (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models on
 * Manifolds"), as used by Stable Diffusion with `skip_prk_steps`. The first timestep is run
 * twice: the second call averages the two noise predictions (a second-order start), so 20 steps
 * make 21 UNet calls over [951, 901, 901, 851, ..., 1]. Later steps use linear multistep
 * combinations of the last 2, 3 and 4 predictions. Default spacing: leading.
 */
export class PndmScheduler implements Scheduler {
  readonly name = "pndm" as const;
  timesteps: number[];
  readonly initNoiseSigma = 1;
  private readonly alphaBar: Float64Array;
  private readonly finalAlphaBar: number;
  private readonly stepRatio: number;
  private history: Float32Array[] = [];
  private counter = 0;
  private startSample: Float32Array | undefined;

  constructor(
    private readonly config: SchedulerConfig,
    readonly steps: number,
  ) {
    checkStepCount(config, steps);
    if (!config.skip_prk_steps) {
      // NOTE: the Runge-Kutta warm-up steps are not implemented. Stable Diffusion's published
      // scheduler configs set skip_prk_steps, so they run PLMS from the first step.
      logger().warn("PNDM config has skip_prk_steps false; d3s runs PLMS steps only");
    }
    this.alphaBar = alphasCumprod(config);
    this.finalAlphaBar = (config.set_alpha_to_one ?? false) ? 1 : this.alphaBar[0];
    this.stepRatio = Math.floor(config.num_train_timesteps / steps);
    this.timesteps = plmsTimesteps(
      spacedTimesteps(config, steps, config.timestep_spacing ?? "leading"),
    );
  }

  /**
   * Restarts PLMS at the first remaining timestep: the schedule becomes [t_s, t_s+1, t_s+1,
   * t_s+2, ...], so the warm-up call pair stays aligned with the latents.
   * NOTE: diffusers slices the full list instead (timesteps[t_start:]), which desynchronises
   * the repeated warm-up timestep whenever t_start > 0; d3s deliberately differs there.
   */
  startImg2img(strength: number): number {
    const start = img2imgStartIndex(this.steps, strength);
    if (start >= this.steps) return this.timesteps.length;
    const remaining = spacedTimesteps(
      this.config,
      this.steps,
      this.config.timestep_spacing ?? "leading",
    );
    this.timesteps = plmsTimesteps(remaining.slice(start));
    this.history = [];
    this.counter = 0;
    return 0;
  }

  addNoise(clean: Float32Array, noise: Float32Array, index: number): Float32Array {
    const abar = this.alphaBar[this.timesteps[index]];
    return linearCombination(Math.sqrt(abar), clean, Math.sqrt(1 - abar), noise);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array): Float32Array {
    let timestep = this.timesteps[index];
    let previous = timestep - this.stepRatio;
    if (this.counter !== 1) {
      this.history = [...this.history.slice(-3), modelOutput];
    } else {
      previous = timestep;
      timestep += this.stepRatio;
    }
    const { output, base } = this.multistep(modelOutput, sample);
    this.counter += 1;
    return this.previousSample(base, timestep, previous, output);
  }

  /** Returns the combined noise prediction and the sample the step starts from. */
  private multistep(
    modelOutput: Float32Array,
    sample: Float32Array,
  ): { output: Float32Array; base: Float32Array } {
    const e = this.history;
    const n = e.length;
    if (n === 1 && this.counter === 0) {
      this.startSample = sample;
      return { output: modelOutput, base: sample };
    }
    if (n === 1 && this.counter === 1) {
      const base = this.startSample ?? sample;
      this.startSample = undefined;
      return { output: linearCombination(0.5, modelOutput, 0.5, e[0]), base };
    }
    const out = new Float32Array(modelOutput.length);
    for (let i = 0; i < out.length; i++) {
      if (n === 2) out[i] = (3 * e[1][i] - e[0][i]) / 2;
      else if (n === 3) out[i] = (23 * e[2][i] - 16 * e[1][i] + 5 * e[0][i]) / 12;
      else out[i] = (55 * e[3][i] - 59 * e[2][i] + 37 * e[1][i] - 9 * e[0][i]) / 24;
    }
    return { output: out, base: sample };
  }

  /** PNDM's transfer x_t -> x_prev (their eq. 11), equal to a DDIM step with eta 0. */
  private previousSample(
    sample: Float32Array,
    timestep: number,
    previous: number,
    modelOutput: Float32Array,
  ): Float32Array {
    const alphaBar = this.alphaBar[timestep];
    const alphaBarPrev = previous >= 0 ? this.alphaBar[previous] : this.finalAlphaBar;
    let epsilon = modelOutput;
    if (this.config.prediction_type === "v_prediction") {
      epsilon = linearCombination(
        Math.sqrt(alphaBar),
        modelOutput,
        Math.sqrt(1 - alphaBar),
        sample,
      );
    }
    const sampleCoefficient = Math.sqrt(alphaBarPrev / alphaBar);
    const denominator =
      alphaBar * Math.sqrt(1 - alphaBarPrev) + Math.sqrt(alphaBar * (1 - alphaBar) * alphaBarPrev);
    return linearCombination(
      sampleCoefficient,
      sample,
      -(alphaBarPrev - alphaBar) / denominator,
      epsilon,
    );
  }
}

/** Returns PLMS timesteps from descending DDIM-style ones: the second timestep is repeated. */
function plmsTimesteps(descending: number[]): number[] {
  if (descending.length < 2) return [...descending];
  return [descending[0], descending[1], ...descending.slice(1)];
}
