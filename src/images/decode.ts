import sharp, { type Sharp } from "sharp";
import { readFile } from "node:fs/promises";
import { orientPixels } from "./orientation.js";
import { cropResizeBicubic } from "./resize.js";

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

/** A decoded photo with the EXIF orientation that was applied to it (1 when none). */
export interface DecodedPhoto {
  image: RgbImage;
  orientation: number;
}

/** Decodes like decodeImage and also returns the photo's EXIF orientation, for its mask. */
export async function decodePhoto(source: string | Buffer, name?: string): Promise<DecodedPhoto> {
  const label = name ?? (typeof source === "string" ? source : "<buffer>");
  const bytes = await readBytes(source, label);
  const image = await decodeImage(bytes, label);
  let orientation = 1;
  try {
    orientation = (await sharp(bytes).metadata()).orientation ?? 1;
  } catch (error) {
    throw new ImageDecodeError(label, (error as Error).message);
  }
  return { image, orientation };
}

/**
 * Decodes a foreground mask to one channel (0..255) of width x height, the size of the
 * decoded photo. A mask file is taken to be in the photo's stored pixel grid, because tools
 * that ignore EXIF write it so, and the photo's `orientation` is applied to it. A mask whose
 * size already equals the displayed size, while the stored size differs, is used as it is.
 * The mask's own EXIF orientation, if any, is applied first. Colour masks are converted to
 * grey, alpha is ignored and other sizes are resized bicubically.
 */
export async function decodeMask(
  source: string | Buffer,
  photo: { width: number; height: number; orientation: number },
  name?: string,
): Promise<Uint8Array> {
  const label = name ?? (typeof source === "string" ? source : "<buffer>");
  const bytes = await readBytes(source, label);
  let mask;
  try {
    const { data, info } = await sharp(bytes, { failOn: "truncated" })
      .rotate()
      .removeAlpha()
      .toColourspace("b-w")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    mask = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 1 };
  } catch (error) {
    throw new ImageDecodeError(label, (error as Error).message);
  }
  const swaps = photo.orientation >= 5 && photo.orientation <= 8;
  const displayedSize = mask.width === photo.width && mask.height === photo.height;
  const alreadyDisplayed = swaps && photo.width !== photo.height && displayedSize;
  if (!alreadyDisplayed) mask = orientPixels(mask, photo.orientation);
  if (mask.width !== photo.width || mask.height !== photo.height) {
    mask = await cropResizeBicubic(mask, photo.width, photo.height);
  }
  return mask.data;
}

async function readBytes(source: string | Buffer, label: string): Promise<Buffer> {
  if (typeof source !== "string") return source;
  try {
    return await readFile(source);
  } catch (error) {
    throw new ImageDecodeError(label, (error as Error).message);
  }
}
