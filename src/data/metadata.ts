import { z } from "zod";

/**
 * One image of a d3s dataset split, as stored in `<split>/metadata.json`. The first six fields
 * keep the names of the released D3S metadata so its loaders read d3s output; the rest are d3s
 * additions.
 */
export const MetadataEntry = z.object({
  /** Image path relative to the split folder, for example `background-shift/000123.png`. */
  image: z.string(),
  /** ImageNet class index (0-999), or the foreground class index of a custom label space. */
  classIdx: z.number().int().nonnegative(),
  /** The diffusion prompt; empty for composites that never ran diffusion. */
  prompt: z.string(),
  /** Generation arguments (seed, strength, steps, guidance, scheduler, negative prompt). */
  args: z.record(z.string(), z.unknown()),
  /** Background phrase, for example `in snow`. */
  background: z.string(),
  /** Whether a guide image was used (img2img) rather than text alone. */
  hasInit: z.boolean(),
  /** Stable item id; the seed derives from it. */
  id: z.string(),
  /** Shift (recipe) name, also the sub-folder of the image. */
  shift: z.string(),
  /** Background label 0-9 in the order of BACKGROUNDS, or -1 for a phrase outside the ten. */
  backgroundIdx: z.number().int(),
  /** Class name, for people reading the file. */
  className: z.string().optional(),
});
export type MetadataEntry = z.infer<typeof MetadataEntry>;

/** The `metadata.json` of a split: an array of entries. */
export const SplitMetadata = z.array(MetadataEntry);
