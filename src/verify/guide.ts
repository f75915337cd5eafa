import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isAbsolute, join, normalize, sep } from "node:path";
import sharp from "sharp";
import type { MetadataEntry } from "../data/metadata.js";
import { manifestPath } from "../generate/manifest.js";

/** Keys of `MetadataEntry.args` that may name the guide image, relative to the split folder. */
const GUIDE_ARG_KEYS = ["guideImage", "initImage", "guide", "init"] as const;

/** File types a guide may have; anything else named in `args` is ignored. */
const GUIDE_EXTENSION = /\.(png|jpe?g|webp)$/i;

/** Padding of the guide|result grids that `d3s generate --save-init` writes (make_grid padding 2). */
const GRID_PADDING = 2;

/** Location of an item's guide image: a plain image file, or the left cell of a guide|result grid. */
export interface GuideSource {
  path: string;
  /** True for a `--save-init` grid, whose left cell is the guide. */
  grid: boolean;
}

/**
 * Finds the guide (init) image of an entry, or undefined when the split has none. Looks at, in
 * order: the `init/...` grid listed in the item manifest `<split>/manifests/<id>.json` written
 * by `d3s generate --save-init`, a path in `args` (`guideImage`, `initImage`, `guide`, `init`),
 * `guides/<image>`, `<image stem>.guide.png` and `<image stem>.init.png`.
 */
export async function findGuide(splitDir: string, entry: MetadataEntry): Promise<GuideSource | undefined> {
  const grid = await gridFromManifest(splitDir, entry);
  if (grid !== undefined) return { path: grid, grid: true };
  for (const candidate of guideCandidates(entry)) {
    const cleaned = normalize(candidate);
    if (isAbsolute(candidate) || cleaned.startsWith(`..${sep}`) || cleaned === "..") continue;
    // Only image files: a guide named in args must never expose the store or the metadata.
    if (!GUIDE_EXTENSION.test(cleaned)) continue;
    const path = join(splitDir, cleaned);
    if (existsSync(path)) return { path, grid: false };
  }
  return undefined;
}

/**
 * Returns the grid path from the item manifest. Manifest paths are relative to the generate
 * output folder, and the first one is the image itself (`<split>/<image>`), which shows how far
 * above the split folder that output folder is.
 */
async function gridFromManifest(splitDir: string, entry: MetadataEntry): Promise<string | undefined> {
  const path = manifestPath(splitDir, entry.id);
  if (!existsSync(path)) return undefined;
  let files: unknown;
  try {
    files = (JSON.parse(await readFile(path, "utf8")) as { files?: unknown }).files;
  } catch {
    return undefined;
  }
  if (!Array.isArray(files) || typeof files[0] !== "string" || !files[0].endsWith(entry.image)) return undefined;
  const splitPrefix = files[0].slice(0, files[0].length - entry.image.length).split("/").filter(Boolean);
  const grid = files.find((file): file is string => typeof file === "string" && file.startsWith("init/"));
  if (grid === undefined || grid.split("/").includes("..")) return undefined;
  const outDir = join(splitDir, ...splitPrefix.map(() => ".."));
  const gridPath = join(outDir, grid);
  return existsSync(gridPath) ? gridPath : undefined;
}

function guideCandidates(entry: MetadataEntry): string[] {
  const fromArgs = GUIDE_ARG_KEYS.map((key) => entry.args[key]).filter(
    (value): value is string => typeof value === "string" && value.length > 0,
  );
  const stem = entry.image.replace(/\.[A-Za-z0-9]+$/, "");
  return [...fromArgs, join("guides", entry.image), `${stem}.guide.png`, `${stem}.init.png`];
}

/**
 * Returns the guide as PNG bytes: the file itself (converted when it is a JPEG or WebP), or the
 * left cell of a grid. A grid of two W x H images with padding 2 is (2W + 6) x (H + 4), with the
 * guide at (2, 2).
 */
export async function readGuidePng(guide: GuideSource): Promise<Buffer> {
  const bytes = await readFile(guide.path);
  if (!guide.grid) return guide.path.toLowerCase().endsWith(".png") ? bytes : sharp(bytes).png().toBuffer();
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  const cellWidth = (width - 3 * GRID_PADDING) / 2;
  const cellHeight = height - 2 * GRID_PADDING;
  if (!Number.isInteger(cellWidth) || cellWidth <= 0 || cellHeight <= 0) {
    throw new Error(`${guide.path} (${width} x ${height}) is not a guide|result grid of two images`);
  }
  return sharp(bytes)
    .extract({ left: GRID_PADDING, top: GRID_PADDING, width: cellWidth, height: cellHeight })
    .png()
    .toBuffer();
}
