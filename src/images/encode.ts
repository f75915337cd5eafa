import sharp from "sharp";
import type { RgbImage } from "./decode.js";

/** zlib level and row filtering of a PNG write. */
export interface PngSettings {
  /** zlib level, 0-9. */
  compressionLevel: number;
  /**
   * Picks a PNG filter for each row with libpng's heuristic, as PIL does by default. False
   * writes every row unfiltered.
   */
  adaptiveFiltering: boolean;
}

/**
 * PNG settings of the images `d3s generate` writes: zlib level 4 with a filter per row. On six
 * 512 px guide composites (bench/compose.ts photos) this wrote 404 kB per file in about 17 ms,
 * where PIL's default save (level 6, filter per row) wrote 399 kB in about 139 ms and level 6
 * without filtering, the earlier setting, wrote 534 kB in about 15 ms (medians, load 8).
 */
export const DATASET_PNG: PngSettings = { compressionLevel: 4, adaptiveFiltering: true };

/**
 * Encodes an RGB image as PNG. The bytes depend only on the pixels and the settings (no
 * timestamps or text chunks), so equal images give equal files. A number is a zlib level with
 * unfiltered rows; the default, 6 unfiltered, keeps earlier files byte for byte.
 */
export async function encodePng(
  image: RgbImage,
  settings: PngSettings | number = 6,
): Promise<Buffer> {
  const { compressionLevel, adaptiveFiltering } =
    typeof settings === "number"
      ? { compressionLevel: settings, adaptiveFiltering: false }
      : settings;
  const input = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length);
  return sharp(input, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel, adaptiveFiltering })
    .toBuffer();
}
