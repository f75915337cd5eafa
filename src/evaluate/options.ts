import { availableParallelism, homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.js";
import { DEVICES, type Device } from "../onnx/session.js";

/**
 * Options of `d3s evaluate`. Every default is defined here once. The CLI help reads the
 * defaults from EVALUATE_DEFAULTS.
 */
export const EvaluateOptions = z
  .object({
    /** The shifted dataset: a d3s split folder, a released D3S folder or an ImageFolder. */
    dataset: z.string().min(1),
    /** The reference set, usually an ImageFolder of ImageNet validation images. */
    reference: z.string().min(1).optional(),
    /** Model files or folders, each optionally suffixed `:PRESET` or `:config.json`. */
    models: z.array(z.string().min(1)).min(1),
    /** Output folder for per-model JSON, results.csv and report.html. */
    out: z.string().min(1),
    /** Dataset layout; `auto` reads metadata.json when present, else an ImageFolder. Default `auto`. */
    layout: z.enum(["auto", "d3s", "released", "imagefolder"]).default("auto"),
    /** Class-map JSON mapping model outputs to another label space. */
    classMap: z.string().min(1).optional(),
    /** Label space of the dataset labels: `model` (ImageNet-1k indices) or `target` (class-map labels). Default `model`. */
    labelSpace: z.enum(["model", "target"]).default("model"),
    /** Preprocessing for bare .onnx files without a sidecar: a preset or a JSON file. Default `torchvision`. */
    preprocess: z.string().min(1).default("torchvision"),
    /** ONNX Runtime execution provider; default `cpu`. */
    device: z.enum(DEVICES as [Device, ...Device[]]).default("cpu"),
    /** ONNX Runtime intra-op threads; 0 lets it use every core. Default 0. */
    threads: z.number().int().min(0).max(1024).default(0),
    /** Decode worker threads; default one less than the cores, between 1 and 4. */
    workers: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(Math.min(4, Math.max(1, availableParallelism() - 1))),
    /** Images per ONNX Runtime call; default 32. */
    batchSize: z.number().int().min(1).max(1024).default(32),
    /** Bootstrap resamples per figure; default 1000. */
    resamples: z.number().int().min(10).max(100_000).default(1000),
    /** Seed of the bootstrap; default 0. */
    seed: z.number().int().default(0),
    /** Folder for cached CLIP text embeddings; default ~/.cache/d3s. */
    cacheDir: z.string().min(1).default(join(homedir(), ".cache", "d3s")),
    /** Write report.html; default true. */
    report: z.boolean().default(true),
  })
  .strict()
  .refine((options) => options.labelSpace === "model" || options.classMap !== undefined, {
    message: "labelSpace target needs a class map (--class-map)",
    path: ["labelSpace"],
  });
export type EvaluateOptions = z.infer<typeof EvaluateOptions>;
export type EvaluateInput = z.input<typeof EvaluateOptions>;

/** The defaults, for help text. */
export const EVALUATE_DEFAULTS = EvaluateOptions.parse({ dataset: "-", models: ["-"], out: "-" });

/** Validates evaluate options. The error message names each invalid option and its value. */
export function parseEvaluateOptions(input: unknown): EvaluateOptions {
  const parsed = EvaluateOptions.safeParse(input);
  if (parsed.success) return parsed.data;
  const record = (input ?? {}) as Record<string, unknown>;
  const issues = parsed.error.issues.map((issue) => {
    const name = issue.path.join(".") || "options";
    const value = issue.path.length > 0 ? record[String(issue.path[0])] : undefined;
    return `${name}${value === undefined ? "" : ` = ${JSON.stringify(value)}`}: ${issue.message}`;
  });
  throw new UserError(`Invalid evaluate options: ${issues.join("; ")}.`);
}
