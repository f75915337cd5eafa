import { z } from "zod";
import { SCHEDULER_NAMES } from "../diffusion/schedulers/config.js";
import { DEVICES } from "../onnx/session.js";

/** Generators: `img2img` runs Stable Diffusion on the guide, `composite` stops at the guide. */
export const GENERATORS = ["img2img", "composite"] as const;
/** Schedulers the diffusion pipeline provides. */
export const SCHEDULERS = SCHEDULER_NAMES;
/** Input normalisations of salient-object models: U2-Net uses ImageNet's, ISNet mean 0.5, std 1. */
export const MASK_NORMALIZATIONS = ["imagenet", "isnet"] as const;

/** Every default of `d3s generate`, defined once; the CLI help text shows them. */
export const GENERATE_DEFAULTS = {
  out: "out",
  split: "train",
  recipes: ["background-shift"],
  generator: "img2img",
  seed: 0,
  batchSize: 1,
  device: "cpu",
  threads: 0,
  scheduler: "ddim",
  steps: 50,
  strength: 0.9,
  guidance: 5,
  negativePrompt: "",
  size: 512,
  fgScale: 0.4,
  maskThreshold: 0.5,
  maskNormalize: "imagenet",
  shard: "0/1",
  saveInit: false,
} as const;

const D = GENERATE_DEFAULTS;

/** A shard: this machine runs the plan items whose position p satisfies p mod count = index. */
export interface Shard {
  index: number;
  count: number;
}

const ShardSchema = z
  .string()
  .regex(/^\d+\/\d+$/, "expected k/n, for example 0/4 (k counts from 0)")
  .transform((text) => {
    const [index, count] = text.split("/").map(Number);
    return { index, count };
  })
  .refine(
    (shard) => shard.count >= 1 && shard.index < shard.count,
    "k must be below n, n at least 1",
  );

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

/** Options of `d3s generate`, checked before any file or model is opened. */
export const GenerateOptions = z
  .object({
    /** ImageNet-style folder: `<class>/<photo>`, class folders named by WordNet id or index. */
    foregrounds: z.string().min(1),
    /** Folder of background template photos, `<key>/<photo>` (key: grass, road, ..., cave). */
    backgrounds: z.string().min(1),
    /** Output folder; images go to `<out>/<split>/<shift>/<id>.png`. */
    out: z.string().min(1).default(D.out),
    /** Split name, the first folder level under out. */
    split: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, "use a plain folder name")
      .default(D.split),
    /** Recipe names or YAML paths. */
    recipes: z
      .array(z.string().min(1))
      .min(1)
      .default([...D.recipes]),
    generator: z.enum(GENERATORS).default(D.generator),
    /** Diffusers-style ONNX Stable Diffusion folder; required by img2img. */
    model: z.string().min(1).optional(),
    /** Run seed; each item's seed derives from it and the item id. */
    seed: z.coerce
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(D.seed),
    batchSize: positiveInt(256).default(D.batchSize),
    device: z.enum(DEVICES).default(D.device),
    /** ONNX Runtime intra-op threads; 0 lets it use every core. */
    threads: z.coerce.number().int().min(0).max(1024).default(D.threads),
    scheduler: z.enum(SCHEDULERS).default(D.scheduler),
    steps: positiveInt(1000).default(D.steps),
    strength: z.coerce.number().min(0).max(1).default(D.strength),
    guidance: z.coerce.number().min(0).max(100).default(D.guidance),
    negativePrompt: z.string().default(D.negativePrompt),
    /** Side of guide and output images in pixels; Stable Diffusion needs a multiple of 8. */
    size: positiveInt(4096).default(D.size),
    /** Side of the pasted foreground as a fraction of size. */
    fgScale: z.coerce.number().gt(0).max(1).default(D.fgScale),
    /** Folder of foreground masks, `<class>/<photo stem>.<any image extension>`. */
    masks: z.string().min(1).optional(),
    /** Salient-object ONNX model (U2-Net, ISNet, ...) that computes the masks. */
    maskModel: z.string().min(1).optional(),
    maskThreshold: z.coerce.number().gt(0).lt(1).default(D.maskThreshold),
    maskNormalize: z.enum(MASK_NORMALIZATIONS).default(D.maskNormalize),
    shard: ShardSchema.prefault(D.shard),
    /** Also writes guide and result side by side to `<out>/init/<split>/<id>.png`. */
    saveInit: z.boolean().default(D.saveInit),
    /** Runs at most this many of the shard's unfinished items, then stops. */
    limit: z.coerce.number().int().min(1).optional(),
    /** Redis URL of a BullMQ queue shared by the machines that run the same command. */
    queue: z.string().min(1).optional(),
  })
  .superRefine((options, context) => {
    if (options.generator === "img2img" && options.model === undefined) {
      context.addIssue({
        code: "custom",
        path: ["model"],
        message:
          "img2img needs --model DIR (a diffusers-style ONNX folder; `d3s model tiny DIR` writes a small one), or use --generator composite",
      });
    }
    if (options.generator === "img2img" && options.size % 8 !== 0) {
      context.addIssue({
        code: "custom",
        path: ["size"],
        message: `img2img needs a multiple of 8 (the VAE downsamples by 8); got ${options.size}`,
      });
    }
    if (options.queue !== undefined && (options.shard.count > 1 || options.limit !== undefined)) {
      context.addIssue({
        code: "custom",
        path: ["queue"],
        message: "a shared queue hands out the items itself; drop --shard and --limit",
      });
    }
    if (options.masks !== undefined && options.maskModel !== undefined) {
      context.addIssue({
        code: "custom",
        path: ["masks"],
        message: "give either --masks DIR or --mask-model FILE, not both",
      });
    }
  });
export type GenerateOptions = z.output<typeof GenerateOptions>;
export type GenerateOptionsInput = z.input<typeof GenerateOptions>;
