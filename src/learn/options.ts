import { z } from "zod";
import { invalidOption, zodOptionError } from "../core/option-error.js";

/**
 * Feature sizes of the reference setup: a 2048-d ResNet-50 feature split into 1798 foreground
 * and 250 background dimensions. Other sizes split in the same proportion.
 */
export const REFERENCE_FEATURE_DIM = 2048;
export const REFERENCE_BG_DIM = 250;

/** Default feature size per backbone: the reference 2048 for a projection, 128 for the small CNN. */
export const DEFAULT_FEATURE_DIM = { cnn: 128, projection: REFERENCE_FEATURE_DIM } as const;

/**
 * Training options of `trainInvariant` and `d3s learn`. Every default is defined here once; the
 * CLI help text reads them from this schema.
 */
export const learnOptionsSchema = z.object({
  /** `cnn`: small CNN trained from scratch on images; `projection`: linear map of cached features. Default `cnn`. */
  backbone: z.enum(["cnn", "projection"]).default("cnn"),
  /** Size of the last feature layer; default 128 (cnn) or 2048 (projection). */
  featureDim: z.number().int().min(2).optional(),
  /** Background part of the feature layer; default featureDim * 250 / 2048, at least 1. */
  bgDim: z.number().int().min(1).optional(),
  /** Channel widths of the CNN's 3x3 convolutions; each is followed by 2x2 max pooling except the last. */
  cnnChannels: z.array(z.number().int().min(1)).min(1).default([32, 64, 128]),
  /**
   * Pooling of the CNN's last feature map: `max` (global max pool) or `average`. Default `max`:
   * on objects pasted onto textures, an average pool is dominated by the background and learns
   * the object classes several times slower (docs/demo.md).
   */
  cnnPool: z.enum(["max", "average"]).default("max"),
  /**
   * Mutual-information penalty. `wasserstein` trains a critic with a gradient penalty, and
   * `mine` a critic with the Donsker-Varadhan bound. `linear` uses Pillai's trace between the
   * features and one-hot labels, with no critic (linear-dependence.ts). Default `wasserstein`.
   */
  penalty: z.enum(["wasserstein", "mine", "linear", "none"]).default("wasserstein"),
  /** Weight of the two cross-entropy terms (foreground head and background head). Default 1. */
  alpha: z.number().min(0).default(1),
  /** Weight of the two mutual-information penalty terms. Default 1. */
  penaltyWeight: z.number().min(0).default(1),
  /** Weight of the Wasserstein critic's gradient penalty. Default 10. */
  gradientPenaltyWeight: z.number().min(0).default(10),
  /** Critic updates per model update. Default 5. */
  criticSteps: z.number().int().min(1).default(5),
  /**
   * Batches of `batchSize` whose features feed the critic steps of one model step. The model
   * does not change during those steps, so the CNN runs once per pool batch; critic step k uses
   * pool batch k while k < criticPool, then a random batch of pool rows. Default criticSteps:
   * every critic step has its own fresh batch.
   */
  criticPool: z.number().int().min(1).optional(),
  /** Plain cross-entropy steps before the penalty starts (reference 2000). Default 200. */
  pretrainSteps: z.number().int().min(0).default(200),
  /** Total model steps, pre-training included. Default 1000. */
  steps: z.number().int().min(1).default(1000),
  /** Examples per step. Default 64. */
  batchSize: z.number().int().min(2).default(64),
  /** Adam learning rate of the backbone and heads. Default 0.001. */
  learningRate: z.number().positive().default(1e-3),
  /** Adam learning rate of the critics. Default 0.001. */
  criticLearningRate: z.number().positive().default(1e-3),
  /** Adam beta1 and beta2 of every optimizer. Default (0, 0.9). */
  adamBetas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0, 0.9]),
  /** Label embedding size as a fraction of the feature part it is paired with. Default 0.2. */
  labelEmbeddingRatio: z.number().positive().default(0.2),
  /** Negative slope of the critic's LeakyReLU. Default 0.1. */
  leakySlope: z.number().min(0).max(1).default(0.1),
  /** Update rate of MINE's moving average of E[exp T]. Default 0.01. */
  mineAverageRate: z.number().positive().max(1).default(0.01),
  /** Update rate of the `linear` penalty's moving feature mean and covariance. Default 0.05. */
  linearAverageRate: z.number().positive().max(1).default(0.05),
  /** Ridge of the `linear` penalty's covariance, as a fraction of the mean variance. Default 0.001. */
  linearShrinkage: z.number().min(0).default(1e-3),
  /** Seed of weights, batches, shuffles and interpolations. Default 0. */
  seed: z.number().int().default(0),
  /** Steps between two history entries. Default 10. */
  logEvery: z.number().int().min(1).default(10),
  /**
   * Training engine. `tfjs` runs TensorFlow.js on one wasm thread. `onnx` runs ONNX Runtime
   * graphs with hand-built backward passes on every core, for the Wasserstein critic updates,
   * the model term and the projection backbone's model step. It supports neither MINE nor the
   * linear penalty. Default `tfjs` (docs/learn.md).
   */
  engine: z.enum(["tfjs", "onnx"]).default("tfjs"),
  /** Folder for checkpoints; training resumes from the checkpoint found there. Default none. */
  checkpointDir: z.string().min(1).optional(),
  /** Steps between two checkpoints. Default 200. */
  checkpointEvery: z.number().int().min(1).default(200),
});

/** Options as callers pass them: every field optional. */
export type LearnOptionsInput = z.input<typeof learnOptionsSchema>;

/** Options after validation, with featureDim, fgDim and bgDim resolved. */
export type LearnOptions = z.output<typeof learnOptionsSchema> & {
  criticPool: number;
  featureDim: number;
  fgDim: number;
  bgDim: number;
};

/**
 * Validates options once and resolves the feature split. Throws an OptionError naming the
 * option by its key, the value and the allowed values. The CLI renames keys to flags.
 */
export function parseLearnOptions(input: LearnOptionsInput = {}): LearnOptions {
  const parsed = learnOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw zodOptionError("learn option", learnOptionsSchema, input, parsed.error);
  }
  const options = parsed.data;
  const featureDim = options.featureDim ?? DEFAULT_FEATURE_DIM[options.backbone];
  const bgDim =
    options.bgDim ??
    Math.max(1, Math.round((featureDim * REFERENCE_BG_DIM) / REFERENCE_FEATURE_DIM));
  if (bgDim >= featureDim) {
    throw invalidOption(
      "learn option",
      "bgDim",
      undefined,
      (name) =>
        `${bgDim} must be smaller than ${name("featureDim")} (${featureDim}), ` +
        `so that the foreground part keeps at least one dimension`,
    );
  }
  const criticPool = options.criticPool ?? options.criticSteps;
  if (criticPool > options.criticSteps) {
    throw invalidOption(
      "learn option",
      "criticPool",
      undefined,
      (name) =>
        `${criticPool} batches would exceed ${name("criticSteps")} (${options.criticSteps}); ` +
        `use at most ${options.criticSteps} or raise ${name("criticSteps")}`,
    );
  }
  if (options.engine === "onnx" && (options.penalty === "mine" || options.penalty === "linear")) {
    throw invalidOption(
      "learn option",
      "engine",
      undefined,
      (name) =>
        `"onnx" trains Wasserstein critics only, not ${name("penalty")} "${options.penalty}". ` +
        `Use ${name("engine")} "tfjs" with ${options.penalty}, or ${name("penalty")} ` +
        `"wasserstein" with ${name("engine")} "onnx"`,
    );
  }
  return { ...options, criticPool, featureDim, bgDim, fgDim: featureDim - bgDim };
}
