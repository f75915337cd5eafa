import { z } from "zod";
import { UserError } from "../core/errors.js";

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

const Triple = z.tuple([z.number(), z.number(), z.number()]);

/**
 * Preprocessing that turns an image into a model input. The default flow resizes the shorter side to
 * `resizeSize` (or `floor(inputSize / cropPct)`, or `inputSize` when neither is set), crops the
 * centred `inputSize` square and normalises each channel as `(pixel * scale - mean) / std`.
 * `resizeMode: "exact"` instead resizes straight to `inputSize x inputSize` without a crop.
 */
export const PreprocessConfig = z
  .object({
    /** Side of the square model input in pixels; default 224. */
    inputSize: z.number().int().min(1).max(4096).default(224),
    /** Shorter side after resizing; exclusive with cropPct. */
    resizeSize: z.number().int().min(1).max(8192).optional(),
    /** Fraction of the resized image kept by the centre crop (timm convention); exclusive with resizeSize. */
    cropPct: z.number().gt(0).max(1).optional(),
    /** `shortest` keeps the aspect ratio then crops; `exact` squashes to the input size. Default `shortest`. */
    resizeMode: z.enum(["shortest", "exact"]).default("shortest"),
    /** Resampling kernel, antialiased when downsampling as in PIL; default `bilinear`. */
    interpolation: z.enum(["bilinear", "bicubic"]).default("bilinear"),
    /** Centre-crop offset: `round` (torchvision, half to even) or `floor` (Hugging Face). Default `round`. */
    cropOffset: z.enum(["round", "floor"]).default("round"),
    /** Per-channel mean, in the units of `pixel * scale`; default the ImageNet mean. */
    mean: Triple.default([IMAGENET_MEAN[0], IMAGENET_MEAN[1], IMAGENET_MEAN[2]]),
    /** Per-channel standard deviation; default the ImageNet std. */
    std: Triple.default([IMAGENET_STD[0], IMAGENET_STD[1], IMAGENET_STD[2]]),
    /** Factor applied to 0-255 pixels before the mean; default 1/255. */
    scale: z.number().positive().default(1 / 255),
    /** Channel order of the input tensor; default `rgb`. */
    channelOrder: z.enum(["rgb", "bgr"]).default("rgb"),
    /** Tensor layout; default `nchw`. */
    layout: z.enum(["nchw", "nhwc"]).default("nchw"),
  })
  .strict()
  .refine((config) => config.resizeSize === undefined || config.cropPct === undefined, {
    message: "set either resizeSize or cropPct, not both",
  })
  .refine((config) => config.std.every((value) => value !== 0), {
    message: "std values must be non-zero",
  });
export type PreprocessConfig = z.infer<typeof PreprocessConfig>;
export type PreprocessInput = z.input<typeof PreprocessConfig>;

/**
 * Named preprocessing conventions. `torchvision`: Resize(256, bilinear) + CenterCrop(224), the
 * evaluation transform of the torchvision ImageNet weights. `timm`: bicubic with crop_pct 0.875,
 * timm's default data config. `inception`: timm's Inception-style mean/std of 0.5. `clip`:
 * OpenAI CLIP's bicubic resize to 224 with its own mean/std.
 */
export const PRESETS = {
  torchvision: { inputSize: 224, resizeSize: 256, interpolation: "bilinear" },
  "torchvision-bicubic": { inputSize: 224, resizeSize: 256, interpolation: "bicubic" },
  timm: { inputSize: 224, cropPct: 0.875, interpolation: "bicubic" },
  inception: {
    inputSize: 299,
    cropPct: 0.875,
    interpolation: "bicubic",
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
  },
  clip: {
    inputSize: 224,
    resizeSize: 224,
    interpolation: "bicubic",
    cropOffset: "floor",
    mean: [CLIP_MEAN[0], CLIP_MEAN[1], CLIP_MEAN[2]],
    std: [CLIP_STD[0], CLIP_STD[1], CLIP_STD[2]],
  },
} as const satisfies Record<string, PreprocessInput>;
export type PresetName = keyof typeof PRESETS;

/** Validates a preprocessing object (a preset's fields plus overrides) and fills the defaults. */
export function parsePreprocess(input: unknown, source: string): PreprocessConfig {
  const parsed = PreprocessConfig.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "config"}: ${issue.message}`);
    throw new UserError(`Invalid preprocessing config in ${source}: ${issues.join("; ")}.`);
  }
  return parsed.data;
}

/** Returns a preset's config, or raises an error that lists the preset names. */
export function presetConfig(name: string): PreprocessConfig {
  if (!(name in PRESETS)) {
    throw new UserError(
      `Unknown preprocessing preset "${name}". Use one of: ${Object.keys(PRESETS).join(", ")}, or a JSON file.`,
    );
  }
  return parsePreprocess(PRESETS[name as PresetName], `preset ${name}`);
}

/** Returns the shorter side after resizing: resizeSize, else floor(inputSize / cropPct), else inputSize. */
export function resizedShortSide(config: PreprocessConfig): number {
  if (config.resizeSize !== undefined) return config.resizeSize;
  // timm computes the scale size as math.floor(img_size / crop_pct).
  if (config.cropPct !== undefined) return Math.floor(config.inputSize / config.cropPct);
  return config.inputSize;
}

/** Returns a one-line summary of a config, written into every result row. */
export function describePreprocess(config: PreprocessConfig): string {
  const resize =
    config.resizeMode === "exact"
      ? `resize ${config.inputSize}x${config.inputSize}`
      : `resize ${resizedShortSide(config)} crop ${config.inputSize} (${config.cropOffset})`;
  const numbers = (values: readonly number[]) => values.map((v) => Number(v.toFixed(4))).join(",");
  return [
    resize,
    `${config.interpolation} antialias`,
    `scale ${Number(config.scale.toFixed(6))}`,
    `mean ${numbers(config.mean)}`,
    `std ${numbers(config.std)}`,
    config.channelOrder,
    config.layout,
  ].join("; ");
}

/** Returns a key that is equal for configs giving identical tensors, so each is computed once per image. */
export function preprocessKey(config: PreprocessConfig): string {
  return JSON.stringify(config, Object.keys(config).sort());
}
