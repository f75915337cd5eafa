import { availableParallelism, homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.js";
import { DEVICES, type Device } from "../onnx/session.js";

/**
 * Options of `d3s evaluate`. Every default is defined here once. The CLI help reads the
 * defaults from EVALUATE_DEFAULTS.
 */
const EvaluateFields = z
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
  .strict();

export const EvaluateOptions = EvaluateFields.refine(
  (options) => options.labelSpace === "model" || options.classMap !== undefined,
  {
    message: "target labels need --class-map with the file that defines them",
    path: ["labelSpace"],
  },
);
export type EvaluateOptions = z.infer<typeof EvaluateOptions>;
export type EvaluateInput = z.input<typeof EvaluateOptions>;

/** The defaults, for help text. */
export const EVALUATE_DEFAULTS = EvaluateOptions.parse({ dataset: "-", models: ["-"], out: "-" });

/**
 * Validates evaluate options. The error message names each invalid option as its command-line
 * flag (`batchSize` as `--batch-size`), its value, and the allowed values or the fix.
 */
export function parseEvaluateOptions(input: unknown): EvaluateOptions {
  const parsed = EvaluateOptions.safeParse(input);
  if (parsed.success) return parsed.data;
  const record = (input ?? {}) as Record<string, unknown>;
  const messages = parsed.error.issues.map((issue) => {
    const key = issue.path.length > 0 ? String(issue.path[0]) : undefined;
    if (key === undefined) return `Invalid evaluate options: ${issue.message}.`;
    const value = record[key];
    const valueText =
      value === undefined ? "" : ` ${typeof value === "number" ? value : JSON.stringify(value)}`;
    const fix = issue.code === "custom" ? issue.message : (allowedValues(key) ?? issue.message);
    return `Invalid ${flagName(key)}${valueText}: ${fix}.`;
  });
  throw new UserError(messages.join(" "));
}

/** Returns the command-line flag of an option key: `batchSize` becomes `--batch-size`. */
function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** Describes the allowed values of a number or enum option, from its zod schema. */
function allowedValues(key: string): string | undefined {
  let field: unknown = EvaluateFields.shape[key as keyof typeof EvaluateFields.shape];
  while (field instanceof z.ZodDefault || field instanceof z.ZodOptional) field = field.unwrap();
  const fallback = EVALUATE_DEFAULTS[key as keyof EvaluateOptions];
  const byDefault = typeof fallback === "number" ? ` (default ${fallback})` : "";
  if (field instanceof z.ZodNumber) {
    const kind = field.isInt ? "a whole number" : "a number";
    // zod gives .int() fields the safe-integer range, which is no real bound.
    const bound = (value: number | null) =>
      value !== null && Math.abs(value) < Number.MAX_SAFE_INTEGER ? value : Number.NaN;
    const low = bound(field.minValue);
    const high = bound(field.maxValue);
    if (Number.isFinite(low) && Number.isFinite(high)) return `use ${kind} from ${low} to ${high}${byDefault}`;
    if (Number.isFinite(low)) return `use ${kind} of at least ${low}${byDefault}`;
    return `use ${kind}${byDefault}`;
  }
  if (field instanceof z.ZodEnum) return `use one of ${field.options.join(", ")}`;
  return undefined;
}
