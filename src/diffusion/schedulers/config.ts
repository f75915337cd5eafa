import { z } from "zod";
import { UserError } from "../../core/errors.js";

/** The three schedulers d3s implements, by their CLI names. */
export const SCHEDULER_NAMES = ["ddim", "pndm", "euler-ancestral"] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** Spacing of the inference timesteps over the training timesteps (diffusers `timestep_spacing`). */
export type TimestepSpacing = "leading" | "linspace" | "trailing";

/**
 * The fields of a diffusers `scheduler_config.json` that d3s reads. Unknown keys (`_class_name`,
 * `_diffusers_version`, ...) are ignored. Defaults are those of diffusers' schedulers; the
 * fields whose default differs between schedulers (`set_alpha_to_one`, `timestep_spacing`) stay
 * optional and each scheduler resolves them.
 */
export const schedulerConfigSchema = z.object({
  num_train_timesteps: z.number().int().min(2).default(1000),
  beta_start: z.number().positive().default(0.0001),
  beta_end: z.number().positive().default(0.02),
  beta_schedule: z.enum(["linear", "scaled_linear", "squaredcos_cap_v2"]).default("linear"),
  trained_betas: z.array(z.number()).nullable().default(null),
  steps_offset: z.number().int().min(0).default(0),
  set_alpha_to_one: z.boolean().optional(),
  skip_prk_steps: z.boolean().default(false),
  clip_sample: z.boolean().default(false),
  clip_sample_range: z.number().positive().default(1),
  prediction_type: z.enum(["epsilon", "v_prediction"]).default("epsilon"),
  timestep_spacing: z.enum(["leading", "linspace", "trailing"]).optional(),
});
export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;

/** Parses a scheduler config object; `source` names the file in error messages. */
export function parseSchedulerConfig(value: unknown, source: string): SchedulerConfig {
  const parsed = schedulerConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      `Invalid scheduler config ${source}: field "${issue.path.join(".")}" ${issue.message}. ` +
        `Use a diffusers scheduler_config.json (for SD 1.x: scaled_linear betas 0.00085..0.012).`,
    );
  }
  if (parsed.data.trained_betas !== null) {
    const length = parsed.data.trained_betas.length;
    if (length !== parsed.data.num_train_timesteps) {
      throw new UserError(
        `Invalid scheduler config ${source}: trained_betas has ${length} values but ` +
          `num_train_timesteps is ${parsed.data.num_train_timesteps}.`,
      );
    }
  }
  return parsed.data;
}

/** Returns the training noise schedule beta_t, t = 0..T-1, in float64. */
export function betaSchedule(config: SchedulerConfig): Float64Array {
  const count = config.num_train_timesteps;
  if (config.trained_betas !== null) return Float64Array.from(config.trained_betas);
  const betas = new Float64Array(count);
  if (config.beta_schedule === "linear") {
    for (let i = 0; i < count; i++) betas[i] = lerp(config.beta_start, config.beta_end, i, count);
  } else if (config.beta_schedule === "scaled_linear") {
    // Linear in sqrt(beta), then squared (the latent diffusion schedule).
    const from = Math.sqrt(config.beta_start);
    const to = Math.sqrt(config.beta_end);
    for (let i = 0; i < count; i++) betas[i] = lerp(from, to, i, count) ** 2;
  } else {
    // Cosine schedule (Nichol and Dhariwal 2021), betas capped at 0.999.
    const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (let i = 0; i < count; i++) {
      betas[i] = Math.min(1 - alphaBar((i + 1) / count) / alphaBar(i / count), 0.999);
    }
  }
  return betas;
}

/** Returns alphabar_t = prod_{s<=t} (1 - beta_s). */
export function alphasCumprod(config: SchedulerConfig): Float64Array {
  const betas = betaSchedule(config);
  const result = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= 1 - betas[i];
    result[i] = product;
  }
  return result;
}

/**
 * Returns the integer inference timesteps, high to low, as diffusers' DDIM and PNDM
 * `set_timesteps` compute them for each spacing.
 */
export function spacedTimesteps(
  config: SchedulerConfig,
  steps: number,
  spacing: TimestepSpacing,
): number[] {
  const total = config.num_train_timesteps;
  if (spacing === "linspace") {
    return range(steps)
      .map((i) => roundHalfEven(steps === 1 ? 0 : (i * (total - 1)) / (steps - 1)))
      .reverse();
  }
  if (spacing === "leading") {
    const ratio = Math.floor(total / steps);
    return range(steps)
      .map((i) => i * ratio + config.steps_offset)
      .reverse();
  }
  const ratio = total / steps;
  return range(steps).map((i) => roundHalfEven(total - i * ratio) - 1);
}

/**
 * Splits a schedule for img2img as diffusers does: init = min(floor(steps * strength), steps)
 * and denoising starts at index steps - init. Returns that start index (steps when nothing is
 * left to denoise).
 */
export function img2imgStartIndex(steps: number, strength: number): number {
  // Plain floor of the float product, as Python's int() in diffusers (20 * 0.9 -> 18).
  const initSteps = Math.min(Math.floor(steps * strength), steps);
  return Math.max(steps - initSteps, 0);
}

/** Checks the step count against the training timesteps. */
export function checkStepCount(config: SchedulerConfig, steps: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > config.num_train_timesteps) {
    throw new UserError(
      `numInferenceSteps must be an integer from 1 to ${config.num_train_timesteps}, got ${steps}.`,
    );
  }
}

function lerp(from: number, to: number, i: number, count: number): number {
  return count === 1 ? from : from + ((to - from) * i) / (count - 1);
}

/** Rounds half to even, as numpy's round does. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
