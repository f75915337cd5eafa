import sharp from "sharp";
import type { RgbImage } from "./decode.js";

/**
 * Encodes an RGB image as PNG. The bytes depend only on the pixels (no timestamps or text
 * chunks), so equal images give equal files. `compressionLevel` is zlib's 0-9 (default 6, as
 * PIL and libpng use).
 */
export async function encodePng(image: RgbImage, compressionLevel = 6): Promise<Buffer> {
  const input = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length);
  return sharp(input, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel, adaptiveFiltering: false })
    .toBuffer();
}
