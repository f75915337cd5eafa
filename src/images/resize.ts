import sharp from "sharp";
import type { RgbImage } from "./decode.js";

/** A rectangle in pixels: the top-left corner and the size. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A raw 8-bit image with any number of interleaved channels (1 for masks, 3 for RGB). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Returns the largest centred square of a width x height image (odd margins round down). */
export function centreSquare(width: number, height: number): Box {
  const side = Math.min(width, height);
  return {
    x: Math.floor((width - side) / 2),
    y: Math.floor((height - side) / 2),
    width: side,
    height: side,
  };
}

/**
 * Crops `crop` (default: the whole image) and resizes it to width x height with the bicubic
 * (Catmull-Rom, a = -0.5) kernel, the kernel of PIL's `Image.BICUBIC`.
 */
export async function cropResizeBicubic(
  image: RawImage,
  width: number,
  height: number,
  crop?: Box,
): Promise<RawImage> {
  const input = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length);
  let pipeline = sharp(input, {
    raw: { width: image.width, height: image.height, channels: image.channels as 1 | 3 | 4 },
  });
  if (crop !== undefined) {
    pipeline = pipeline.extract({
      left: crop.x,
      top: crop.y,
      width: crop.width,
      height: crop.height,
    });
  }
  pipeline = pipeline.resize(width, height, { kernel: "cubic", fit: "fill" });
  // sharp widens one-channel raw input to sRGB on output unless the output space is b-w.
  if (image.channels === 1) pipeline = pipeline.toColourspace("b-w");
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    channels: info.channels,
  };
}

/** Resizes an RGB image to width x height with the bicubic kernel (no crop). */
export async function resizeBicubic(
  image: RgbImage,
  width: number,
  height: number,
): Promise<RgbImage> {
  const { data } = await cropResizeBicubic({ ...image, channels: 3 }, width, height);
  return { data, width, height };
}
