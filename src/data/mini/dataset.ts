import { z } from "zod";
import type { ProgressListener } from "../../core/progress.js";
import { silentProgress } from "../../core/progress.js";
import { Random, itemSeed } from "../../core/rng.js";
import { invalidOption, zodOptionError } from "../../core/option-error.js";
import { BACKGROUNDS } from "../backgrounds.js";
import type { MetadataEntry } from "../metadata.js";
import { composeMiniImage } from "./compose.js";
import type { MiniSources } from "./load.js";
import type { MiniRole } from "./manifest.js";
import { planBackgrounds, type BackgroundPlan } from "./splits.js";

/** The mini splits: each draws on its own item pool with its own background plan. */
export const MINI_SPLITS: Record<MiniRole, { plan: BackgroundPlan; description: string }> = {
  train: { plan: "balanced", description: "balanced training split" },
  val: { plan: "balanced", description: "balanced validation split" },
  correlated: {
    plan: "correlated",
    description: "class paired with its background with probability p",
  },
  anti: { plan: "anti", description: "never the paired background" },
};

/** Shift name (sub-folder) of every mini dataset image. */
export const MINI_SHIFT = "composite";

/** Options of buildMiniSplit; every default is defined here once. */
export const miniSplitOptionsSchema = z.object({
  /** Split name, which also selects the item pool and the background plan. */
  split: z.enum(["train", "val", "correlated", "anti"]),
  /** Image side in pixels. Default 32. */
  size: z.number().int().min(8).max(256).default(32),
  /** Side of the pasted item as a fraction of the image side. Default 0.75. */
  fgScale: z.number().gt(0).max(1).default(0.75),
  /** Item pixels above this level (0-255) form the object mask. Default 8. */
  threshold: z.number().int().min(0).max(254).default(8),
  /** Range of the background crop side as a fraction of the pattern side. Default [0.6, 1]. */
  bgCrop: z
    .tuple([z.number().gt(0).max(1), z.number().gt(0).max(1)])
    .refine(([low, high]) => low <= high, "the first value must not exceed the second")
    .default([0.6, 1]),
  /** Fraction of the correlated split on the paired background. Default 0.95. */
  correlation: z.number().min(0).max(1).default(0.95),
  /** Seed of the background plan, crops and paste positions. Default 0. */
  seed: z.number().int().default(0),
  /** Items per class, at most the pool size; default the whole pool. */
  perClass: z.number().int().positive().optional(),
});
export type MiniSplitOptionsInput = z.input<typeof miniSplitOptionsSchema>;
export type MiniSplitOptions = z.output<typeof miniSplitOptionsSchema>;

/** A composited split held in memory. */
export interface MiniSplit {
  name: MiniRole;
  size: number;
  /** n images of size x size x 3 bytes, back to back (HWC RGB). */
  images: Uint8Array;
  fgLabels: Int32Array;
  bgLabels: Int32Array;
  classNames: string[];
  backgroundNames: string[];
  entries: MetadataEntry[];
}

/** Validates split options, naming the invalid field. */
export function parseMiniSplitOptions(input: MiniSplitOptionsInput): MiniSplitOptions {
  const parsed = miniSplitOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw zodOptionError("mini split option", miniSplitOptionsSchema, input, parsed.error);
  }
  return parsed.data;
}

/**
 * Composites a mini split deterministically: the same sources and options give byte-identical
 * images. Progress is reported per image.
 */
export async function buildMiniSplit(
  sources: MiniSources,
  input: MiniSplitOptionsInput,
  progress: ProgressListener = silentProgress,
): Promise<MiniSplit> {
  const options = parseMiniSplitOptions(input);

  // 1. Take the first perClass items of each class from the split's pool.
  const pool = sources.pools[options.split];
  const poolPerClass = pool.labels.length / sources.classNames.length;
  const perClass = options.perClass ?? poolPerClass;
  if (perClass > poolPerClass) {
    throw invalidOption(
      "mini split option",
      "perClass",
      perClass,
      () => `the ${options.split} pool has ${poolPerClass} items per class`,
    );
  }
  const chosen = pool.labels.map((_, i) => i).filter((i) => i % poolPerClass < perClass);
  const labels = chosen.map((i) => pool.labels[i]);

  // 2. Plan the backgrounds, then shuffle the item order.
  const planRandom = new Random(`${options.seed}:${options.split}:plan`);
  const plan = MINI_SPLITS[options.split].plan;
  const backgrounds = planBackgrounds(
    labels,
    plan,
    BACKGROUNDS.length,
    options.correlation,
    planRandom,
  );
  const order = planRandom.shuffle(labels.map((_, i) => i));

  // 3. Composite every image.
  const n = order.length;
  const pixels = options.size * options.size * 3;
  const split: MiniSplit = {
    name: options.split,
    size: options.size,
    images: new Uint8Array(n * pixels),
    fgLabels: new Int32Array(n),
    bgLabels: new Int32Array(n),
    classNames: sources.classNames,
    backgroundNames: BACKGROUNDS.map((background) => background.key),
    entries: [],
  };
  for (let k = 0; k < n; k++) {
    const item = order[k];
    const id = `${options.split}-${String(k).padStart(5, "0")}`;
    const seed = itemSeed(options.seed, id);
    const background = backgrounds[item];
    const image = await composeMiniImage({
      tile: pool.tiles[chosen[item]],
      pattern: sources.backgrounds[background],
      size: options.size,
      fgScale: options.fgScale,
      threshold: options.threshold,
      bgCrop: options.bgCrop,
      random: new Random(seed),
    });
    split.images.set(image.data, k * pixels);
    split.fgLabels[k] = labels[item];
    split.bgLabels[k] = background;
    split.entries.push(entryFor(id, labels[item], background, sources.classNames, options, seed));
    progress({ stage: `mini ${options.split}`, done: k + 1, total: n });
  }
  return split;
}

function entryFor(
  id: string,
  label: number,
  background: number,
  classNames: string[],
  options: MiniSplitOptions,
  seed: string,
): MetadataEntry {
  return {
    image: `${MINI_SHIFT}/${id}.png`,
    classIdx: label,
    prompt: "",
    args: {
      seed,
      size: options.size,
      fgScale: options.fgScale,
      threshold: options.threshold,
      ...(options.split === "correlated" ? { correlation: options.correlation } : {}),
    },
    background: BACKGROUNDS[background].phrase,
    hasInit: false,
    id,
    shift: MINI_SHIFT,
    backgroundIdx: background,
    className: classNames[label],
  };
}
