import sharp, { type Sharp } from "sharp";
import { readFile } from "node:fs/promises";

/** An 8-bit RGB image in row-major HWC order. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Raised when a file is not a decodable image; long jobs skip such files and record why. */
export class ImageDecodeError extends Error {
  override readonly name = "ImageDecodeError";
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Cannot decode image ${path}: ${reason}`);
  }
}

/**
 * Decodes any photo to 8-bit sRGB: the format is detected from the bytes (not the extension),
 * EXIF orientation is applied, CMYK and grayscale are converted, alpha is flattened over white
 * and 16-bit samples are scaled to 8 bits. Truncated or non-image files raise ImageDecodeError.
 */
export async function decodeImage(source: string | Buffer, name?: string): Promise<RgbImage> {
  const label = name ?? (typeof source === "string" ? source : "<buffer>");
  let bytes: Buffer;
  try {
    bytes = typeof source === "string" ? await readFile(source) : source;
  } catch (error) {
    throw new ImageDecodeError(label, (error as Error).message);
  }
  try {
    const { data, info } = await toRgbPipeline(bytes).raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (error) {
    throw new ImageDecodeError(label, (error as Error).message);
  }
}

/**
 * Returns a sharp pipeline that turns any input into oriented, flattened 8-bit sRGB with three
 * channels. `failOn: "truncated"` makes a cut-off file an error instead of a partly grey image.
 */
export function toRgbPipeline(bytes: Buffer): Sharp {
  return sharp(bytes, { failOn: "truncated", limitInputPixels: 1 << 28 })
    .rotate()
    .toColourspace("srgb")
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .removeAlpha()
    .toFormat("raw", { depth: "uchar" } as never);
}
