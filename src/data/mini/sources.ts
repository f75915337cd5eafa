import { readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { writeFileAtomic, writeJsonAtomic } from "../../core/atomic.js";
import { hashBytes } from "../../core/hash.js";
import { encodePng } from "../../images/encode.js";
import { BACKGROUNDS } from "../backgrounds.js";
import { parseGimpPattern } from "./gimpPattern.js";
import { parseIdx } from "./idx.js";
import {
  FASHION_CLASSES,
  FASHION_TILE,
  MINI_BACKGROUND_PATTERNS,
  MINI_ITEMS_PER_CLASS,
  MINI_ROLES,
  type MiniManifest,
} from "./manifest.js";

/** Options of buildMiniSources; the defaults are the Debian install paths. */
export interface MiniSourceOptions {
  /** Folder of dataset-fashion-mnist. Default `/usr/share/datasets/fashion-mnist`. */
  fashionDir?: string;
  /** Folder of gimp-data's patterns. Default `/usr/share/gimp/2.0/patterns`. */
  patternsDir?: string;
  /** Output folder, normally `data/mini`. */
  outDir: string;
  /** Tiles per atlas row. Default 100. */
  columns?: number;
}

const FASHION_IMAGES = "train-images-idx3-ubyte.gz";
const FASHION_LABELS = "train-labels-idx1-ubyte.gz";

/**
 * Writes the committed sources of the mini dataset: a greyscale atlas of Fashion-MNIST items
 * (the first items of each class in file order, split into the four pools), one PNG per
 * background pattern, and manifest.json with the provenance and SHA-256 of everything.
 */
export async function buildMiniSources(options: MiniSourceOptions): Promise<MiniManifest> {
  const fashionDir = options.fashionDir ?? "/usr/share/datasets/fashion-mnist";
  const patternsDir = options.patternsDir ?? "/usr/share/gimp/2.0/patterns";
  const columns = options.columns ?? 100;

  // 1. Read Fashion-MNIST and pick the items of each pool.
  const imageBytes = await readFile(join(fashionDir, FASHION_IMAGES));
  const images = parseIdx(imageBytes, FASHION_IMAGES);
  const labels = parseIdx(await readFile(join(fashionDir, FASHION_LABELS)), FASHION_LABELS);
  const { sourceIndices, roles } = pickItems(labels.data);

  // 2. Write the atlas.
  const atlas = tileAtlas(images.data, sourceIndices, columns);
  const atlasPng = await sharp(Buffer.from(atlas.data), {
    raw: { width: atlas.width, height: atlas.height, channels: 1 },
  })
    .toColourspace("b-w")
    .png({ compressionLevel: 9, adaptiveFiltering: true })
    .toBuffer();
  await writeFileAtomic(join(options.outDir, "fashion.png"), atlasPng);

  // 3. Convert each chosen pattern to PNG.
  const backgrounds: MiniManifest["backgrounds"] = [];
  for (const { key } of BACKGROUNDS) {
    const { pattern, why } = MINI_BACKGROUND_PATTERNS[key];
    const bytes = await readFile(join(patternsDir, pattern));
    const parsed = parseGimpPattern(bytes, pattern);
    const png = await encodePng(parsed.image, 9);
    const file = `backgrounds/${key}.png`;
    await writeFileAtomic(join(options.outDir, file), png);
    backgrounds.push({
      key,
      file,
      sha256: hashBytes(png),
      source: `gimp-data:/usr/share/gimp/2.0/patterns/${pattern}`,
      sourceSha256: hashBytes(bytes),
      name: parsed.name,
      why,
    });
  }

  // 4. Write the manifest last, so a reader never sees it before its files.
  const manifest: MiniManifest = {
    version: 1,
    classNames: [...FASHION_CLASSES],
    fashion: {
      atlas: "fashion.png",
      atlasSha256: hashBytes(atlasPng),
      columns,
      source: `dataset-fashion-mnist:/usr/share/datasets/fashion-mnist/${FASHION_IMAGES}`,
      sourceSha256: hashBytes(imageBytes),
      sourceIndices,
    },
    roles,
    backgrounds,
  };
  await writeJsonAtomic(join(options.outDir, "manifest.json"), manifest);
  return manifest;
}

/** Takes, per class and in file order, the first items for train, then val, correlated, anti. */
function pickItems(labels: Uint8Array): Pick<MiniManifest, "roles"> & { sourceIndices: number[] } {
  const byClass = FASHION_CLASSES.map(() => [] as number[]);
  labels.forEach((label, index) => byClass[label].push(index));
  const sourceIndices: number[] = [];
  const roles = {} as MiniManifest["roles"];
  const used = FASHION_CLASSES.map(() => 0);
  for (const role of MINI_ROLES) {
    const perClass = MINI_ITEMS_PER_CLASS[role];
    roles[role] = { start: sourceIndices.length, perClass };
    byClass.forEach((indices, label) => {
      const chosen = indices.slice(used[label], used[label] + perClass);
      if (chosen.length < perClass) {
        throw new Error(`Fashion-MNIST has too few items of class ${label} for the ${role} pool.`);
      }
      sourceIndices.push(...chosen);
      used[label] += perClass;
    });
  }
  return { sourceIndices, roles };
}

function tileAtlas(
  pixels: Uint8Array,
  indices: number[],
  columns: number,
): { data: Uint8Array; width: number; height: number } {
  const tileSize = FASHION_TILE * FASHION_TILE;
  const rows = Math.ceil(indices.length / columns);
  const width = columns * FASHION_TILE;
  const data = new Uint8Array(width * rows * FASHION_TILE);
  indices.forEach((source, tile) => {
    const x0 = (tile % columns) * FASHION_TILE;
    const y0 = Math.floor(tile / columns) * FASHION_TILE;
    for (let y = 0; y < FASHION_TILE; y++) {
      const from = source * tileSize + y * FASHION_TILE;
      data.set(pixels.subarray(from, from + FASHION_TILE), (y0 + y) * width + x0);
    }
  });
  return { data, width, height: rows * FASHION_TILE };
}
