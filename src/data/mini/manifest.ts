import { fileURLToPath } from "node:url";
import { z } from "zod";
import { BACKGROUNDS } from "../backgrounds.js";

/** Folder of the committed mini dataset sources (`data/mini` at the repository root). */
export const MINI_DATA_DIR = fileURLToPath(new URL("../../../data/mini/", import.meta.url));

/** Side of a Fashion-MNIST item in pixels. */
export const FASHION_TILE = 28;

/** Fashion-MNIST class names in label order (from the dataset's README). */
export const FASHION_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

/**
 * The four item pools of the mini dataset. Each pool uses its own Fashion-MNIST items, so no
 * object is seen both in training and in evaluation.
 */
export const MINI_ROLES = ["train", "val", "correlated", "anti"] as const;
export type MiniRole = (typeof MINI_ROLES)[number];

/** Items per class in each pool of the committed atlas (8000 items in all). */
export const MINI_ITEMS_PER_CLASS: Record<MiniRole, number> = {
  train: 400,
  val: 100,
  correlated: 200,
  anti: 100,
};

/**
 * GIMP photographic pattern chosen for each D3S background, in BACKGROUNDS order, with the
 * reason. gimp-data has no photo of a road, snow, a forest floor or a cave, so several are the
 * nearest texture; docs/demo.md lists the compromises.
 */
export const MINI_BACKGROUND_PATTERNS: Record<
  (typeof BACKGROUNDS)[number]["key"],
  { pattern: string; why: string }
> = {
  grass: { pattern: "Plant/leaves.pat", why: "green foliage, the only green plant photo" },
  road: { pattern: "Stone/slate.pat", why: "fine grey grain, close to asphalt" },
  forest: { pattern: "Wood/bark.pat", why: "tree bark" },
  water: { pattern: "Water/pool.pat", why: "water surface over a pool bottom" },
  sand: { pattern: "Stone/ground1.pat", why: "dried mud, tan and grainy like sand" },
  indoors: { pattern: "Wood/parque1.pat", why: "parquet floor" },
  snow: { pattern: "Water/ice.pat", why: "white ice, the nearest to snow" },
  rain: { pattern: "Water/rain.pat", why: "rain streaks" },
  night: { pattern: "Sky/starfield.pat", why: "night sky with stars" },
  cave: { pattern: "Stone/rock.pat", why: "rough rock, the nearest to a cave wall" },
};

/** The `manifest.json` of the committed sources: where each item and pattern came from. */
export const MiniManifest = z.object({
  version: z.literal(1),
  /** Foreground class names in label order. */
  classNames: z.array(z.string()).length(FASHION_CLASSES.length),
  fashion: z.object({
    /** Greyscale PNG atlas of 28 x 28 tiles, row-major, `columns` tiles per row. */
    atlas: z.string(),
    atlasSha256: z.string(),
    columns: z.number().int().positive(),
    /** Fashion-MNIST file the items came from, and its SHA-256. */
    source: z.string(),
    sourceSha256: z.string(),
    /** Index of each atlas tile in the source file. */
    sourceIndices: z.array(z.number().int().nonnegative()),
  }),
  /**
   * Pools of items: tile `start + label * perClass + k` is item k of class `label`.
   */
  roles: z.record(
    z.enum(MINI_ROLES),
    z.object({ start: z.number().int().nonnegative(), perClass: z.number().int().positive() }),
  ),
  /** One pattern per background, in BACKGROUNDS order. */
  backgrounds: z.array(
    z.object({
      key: z.string(),
      file: z.string(),
      sha256: z.string(),
      source: z.string(),
      sourceSha256: z.string(),
      name: z.string(),
      why: z.string(),
    }),
  ),
});
export type MiniManifest = z.infer<typeof MiniManifest>;
