import { z } from "zod";
import { UserError } from "../core/errors.js";
import { parsePreprocess, type PreprocessConfig } from "./preprocess-config.js";

// PIL resampling codes stored in Hugging Face processor configs.
const PIL_RESAMPLE: Record<number, "bilinear" | "bicubic" | undefined> = { 2: "bilinear", 3: "bicubic" };

const Size = z.union([
  z.number().int().positive(),
  z.object({ height: z.number().int().positive(), width: z.number().int().positive() }),
  z.object({ shortest_edge: z.number().int().positive() }),
]);

/** The fields of a Hugging Face `preprocessor_config.json` (image processors) that d3s reads. */
export const HfProcessorConfig = z.object({
  do_resize: z.boolean().default(true),
  size: Size.optional(),
  resample: z.number().int().default(2),
  do_center_crop: z.boolean().optional(),
  crop_size: Size.optional(),
  crop_pct: z.number().positive().max(1).nullable().optional(),
  do_rescale: z.boolean().default(true),
  rescale_factor: z.number().positive().default(1 / 255),
  do_normalize: z.boolean().default(true),
  image_mean: z.array(z.number()).length(3).optional(),
  image_std: z.array(z.number()).length(3).optional(),
  image_processor_type: z.string().optional(),
  feature_extractor_type: z.string().optional(),
});

function side(size: z.infer<typeof Size>, file: string): number {
  if (typeof size === "number") return size;
  if ("shortest_edge" in size) return size.shortest_edge;
  if (size.height !== size.width) {
    throw new UserError(`${file}: non-square size ${size.width}x${size.height} is not supported.`);
  }
  return size.height;
}

/**
 * Converts a Hugging Face image processor config to d3s preprocessing. Three size conventions
 * occur: `{height, width}` resizes straight to the input size (ViT). `{shortest_edge}` with
 * `crop_pct` resizes to `shortest_edge / crop_pct` and crops (ConvNeXt, ResNet). And
 * `{shortest_edge}` with `crop_size` resizes the shorter side and crops (CLIP, BEiT).
 * Hugging Face crops at `floor((size - crop) / 2)`.
 */
export function fromHfProcessor(json: unknown, file: string): PreprocessConfig {
  const parsed = HfProcessorConfig.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`Invalid ${file}: ${issue.path.join(".")}: ${issue.message}.`);
  }
  const config = parsed.data;
  const interpolation = PIL_RESAMPLE[config.resample];
  if (interpolation === undefined) {
    throw new UserError(`${file}: resample ${config.resample} is not supported; use 2 (bilinear) or 3 (bicubic).`);
  }
  if (!config.do_resize || config.size === undefined) {
    throw new UserError(`${file}: d3s needs do_resize with a size to give every image the same shape.`);
  }
  const isShortest = typeof config.size === "object" && "shortest_edge" in config.size;
  const resizeSide = side(config.size, file);
  const common = {
    interpolation,
    cropOffset: "floor" as const,
    scale: config.do_rescale ? config.rescale_factor : 1,
    mean: config.do_normalize ? (config.image_mean ?? [0.5, 0.5, 0.5]) : [0, 0, 0],
    std: config.do_normalize ? (config.image_std ?? [0.5, 0.5, 0.5]) : [1, 1, 1],
  };
  if (!isShortest && typeof config.size === "object") {
    return parsePreprocess({ ...common, inputSize: resizeSide, resizeMode: "exact" }, file);
  }
  if (config.crop_pct !== undefined && config.crop_pct !== null && config.crop_size === undefined) {
    // ConvNeXt's processor warps inputs of 384 pixels and more without cropping.
    if (resizeSide >= 384) {
      return parsePreprocess({ ...common, inputSize: resizeSide, resizeMode: "exact" }, file);
    }
    return parsePreprocess({ ...common, inputSize: resizeSide, cropPct: config.crop_pct }, file);
  }
  const crop = config.do_center_crop !== false && config.crop_size !== undefined
    ? side(config.crop_size, file)
    : resizeSide;
  return parsePreprocess({ ...common, inputSize: crop, resizeSize: resizeSide }, file);
}
