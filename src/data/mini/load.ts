import { readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { UserError } from "../../core/errors.js";
import { hashBytes } from "../../core/hash.js";
import { decodeImage, type RgbImage } from "../../images/decode.js";
import { BACKGROUNDS } from "../backgrounds.js";
import {
  FASHION_TILE,
  MINI_DATA_DIR,
  MINI_ROLES,
  MiniManifest,
  type MiniRole,
} from "./manifest.js";

/** The Fashion-MNIST items of one pool: 28 x 28 greyscale tiles and their class labels. */
export interface MiniPool {
  tiles: Uint8Array[];
  labels: number[];
}

/** The decoded sources of the mini dataset. */
export interface MiniSources {
  classNames: string[];
  pools: Record<MiniRole, MiniPool>;
  /** One pattern per background, in BACKGROUNDS order. */
  backgrounds: RgbImage[];
}

/**
 * Loads the committed mini dataset sources (default `data/mini`), checking every file against
 * the SHA-256 in manifest.json so a truncated checkout fails with a clear message.
 */
export async function loadMiniSources(dir: string = MINI_DATA_DIR): Promise<MiniSources> {
  // 1. Read and validate the manifest.
  const manifestPath = join(dir, "manifest.json");
  let manifestText: string;
  try {
    manifestText = await readFile(manifestPath, "utf8");
  } catch {
    throw new UserError(
      `Mini dataset manifest not found at ${manifestPath}. Restore data/mini from the repository ` +
        `or rebuild it with: node --import tsx scripts/build-mini-dataset.ts`,
    );
  }
  const manifest = MiniManifest.parse(JSON.parse(manifestText));

  // 2. Decode the Fashion-MNIST atlas into tiles and split it into pools.
  const atlasBytes = await readChecked(
    join(dir, manifest.fashion.atlas),
    manifest.fashion.atlasSha256,
  );
  const { data, info } = await sharp(atlasBytes)
    .toColourspace("b-w")
    .raw()
    .toBuffer({ resolveWithObject: true });
  const tiles = cutTiles(
    new Uint8Array(data),
    info.width,
    manifest.fashion.sourceIndices.length,
    manifest.fashion.columns,
  );
  const pools = {} as Record<MiniRole, MiniPool>;
  for (const role of MINI_ROLES) {
    const { start, perClass } = manifest.roles[role];
    const count = perClass * manifest.classNames.length;
    pools[role] = {
      tiles: tiles.slice(start, start + count),
      labels: Array.from({ length: count }, (_, i) => Math.floor(i / perClass)),
    };
  }

  // 3. Decode the background patterns.
  const backgrounds: RgbImage[] = [];
  for (const [index, background] of manifest.backgrounds.entries()) {
    if (background.key !== BACKGROUNDS[index].key) {
      throw new Error(
        `Mini manifest lists background ${background.key} at ${index}; expected ${BACKGROUNDS[index].key}.`,
      );
    }
    const bytes = await readChecked(join(dir, background.file), background.sha256);
    backgrounds.push(await decodeImage(bytes, background.file));
  }
  return { classNames: manifest.classNames, pools, backgrounds };
}

async function readChecked(path: string, sha256: string): Promise<Buffer> {
  const bytes = await readFile(path);
  if (hashBytes(bytes) !== sha256) {
    throw new UserError(
      `${path} does not match the SHA-256 in manifest.json (a Git LFS pointer or a changed file?). ` +
        `Restore it from the repository or rebuild with: node --import tsx scripts/build-mini-dataset.ts`,
    );
  }
  return bytes;
}

function cutTiles(atlas: Uint8Array, width: number, count: number, columns: number): Uint8Array[] {
  const tiles: Uint8Array[] = [];
  for (let tile = 0; tile < count; tile++) {
    const x0 = (tile % columns) * FASHION_TILE;
    const y0 = Math.floor(tile / columns) * FASHION_TILE;
    const pixels = new Uint8Array(FASHION_TILE * FASHION_TILE);
    for (let y = 0; y < FASHION_TILE; y++) {
      const from = (y0 + y) * width + x0;
      pixels.set(atlas.subarray(from, from + FASHION_TILE), y * FASHION_TILE);
    }
    tiles.push(pixels);
  }
  return tiles;
}
