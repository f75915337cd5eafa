import { z } from "zod";
import { zodOptionError } from "../core/option-error.js";
import type { LearnOptionsInput } from "./options.js";

/** Options of `d3s demo`; every default is defined here once. */
export const demoOptionsSchema = z.object({
  /** Output folder for report.html, results.json, the models and the splits. Default `d3s-demo`. */
  out: z.string().min(1).default("d3s-demo"),
  /** Reduced sizes and steps, for a check in CI time. Default false. */
  quick: z.boolean().default(false),
  /** Correlation of the correlated training split. Default 0.95. */
  correlation: z.number().min(0).max(1).default(0.95),
  /** Correlations of the sweep; default 0.5, 0.8, 0.9, 0.95, 0.99 (0.5 and 0.95 with --quick). */
  sweep: z.array(z.number().min(0).max(1)).min(1).optional(),
  /**
   * Mutual-information penalty of the penalised model. Default `linear`: on the mini dataset the
   * network evades the Wasserstein critic and keeps the background (docs/demo.md), while the
   * critic-free linear penalty removes about half of it. `wasserstein` is the reference method.
   */
  penalty: z.enum(["wasserstein", "mine", "linear"]).default("linear"),
  /** Weight of the penalty terms; default the learn default (trainInvariant's penaltyWeight). */
  penaltyWeight: z.number().min(0).optional(),
  /** Model steps, pre-training included; default 800 (60 with --quick). */
  steps: z.number().int().min(1).optional(),
  /** Plain steps before the penalty starts; default 400 (30 with --quick). */
  pretrainSteps: z.number().int().min(0).optional(),
  /** Seed of the splits, the training and the probes. Default 0. */
  seed: z.number().int().default(0),
  /** Also write the composited splits as PNG files under OUT/data. Default false. */
  writeImages: z.boolean().default(false),
});
export type DemoOptionsInput = z.input<typeof demoOptionsSchema>;

/** Demo settings after validation, with the sizes of the chosen preset filled in. */
export interface DemoSettings {
  out: string;
  quick: boolean;
  correlation: number;
  sweep: number[];
  penalty: "wasserstein" | "mine" | "linear";
  seed: number;
  writeImages: boolean;
  /** Items per class of each split. */
  perClass: { train: number; val: number; correlated: number; anti: number };
  /** Options passed to trainInvariant for both models (the unpenalised one uses penalty none). */
  learn: LearnOptionsInput;
}

/**
 * Sizes of the full demo and of --quick. The full preset uses every committed item. Its CNN is
 * narrower than the learn default ([32, 64, 128]) and one layer deeper, so both trainings fit
 * the demo's time budget on two CPU cores. With 800 steps it trains at twice the learn default
 * learning rate (docs/demo.md has the runs).
 */
const PRESETS = {
  full: {
    perClass: { train: 400, val: 100, correlated: 200, anti: 100 },
    steps: 800,
    pretrainSteps: 400,
    learningRate: 2e-3,
    cnnChannels: [16, 32, 64, 128],
    sweep: [0.5, 0.8, 0.9, 0.95, 0.99],
  },
  quick: {
    perClass: { train: 30, val: 10, correlated: 20, anti: 9 },
    steps: 60,
    pretrainSteps: 30,
    learningRate: 2e-3,
    cnnChannels: [8, 16, 16],
    sweep: [0.5, 0.95],
  },
} as const;

/**
 * Validates demo options once and resolves the preset. Throws an OptionError naming the invalid
 * option, its value and the allowed values. The sweep always contains `correlation`, because the
 * report compares the two models at the benchmark's own correlation.
 */
export function parseDemoOptions(input: DemoOptionsInput = {}): DemoSettings {
  const parsed = demoOptionsSchema.safeParse(input);
  if (!parsed.success) throw zodOptionError("demo option", demoOptionsSchema, input, parsed.error);
  const options = parsed.data;
  const preset = options.quick ? PRESETS.quick : PRESETS.full;
  const steps = options.steps ?? preset.steps;
  const pretrainSteps = Math.min(options.pretrainSteps ?? preset.pretrainSteps, steps);
  const sweep = [...new Set([...(options.sweep ?? preset.sweep), options.correlation])].sort(
    (a, b) => a - b,
  );
  return {
    out: options.out,
    quick: options.quick,
    correlation: options.correlation,
    sweep,
    penalty: options.penalty,
    seed: options.seed,
    writeImages: options.writeImages,
    perClass: { ...preset.perClass },
    learn: {
      backbone: "cnn",
      cnnChannels: [...preset.cnnChannels],
      learningRate: preset.learningRate,
      steps,
      pretrainSteps,
      seed: options.seed,
      logEvery: options.quick ? 5 : 10,
      ...(options.penaltyWeight === undefined ? {} : { penaltyWeight: options.penaltyWeight }),
    },
  };
}
