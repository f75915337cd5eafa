import type { RgbImage } from "../images/decode.js";

const PIXEL_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

/** Converts an 8-bit HWC image to CHW float32 in [-1, 1] (v / 127.5 - 1). */
export function imageToTensor(image: RgbImage): Float32Array {
  const { width, height, data } = image;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    out[p] = PIXEL_TO_UNIT[data[p * 3]];
    out[plane + p] = PIXEL_TO_UNIT[data[p * 3 + 1]];
    out[2 * plane + p] = PIXEL_TO_UNIT[data[p * 3 + 2]];
  }
  return out;
}

/**
 * Converts CHW float32 in [-1, 1] to an 8-bit HWC image: (x / 2 + 0.5) * 255, clamped to
 * 0..255 and rounded half to even. This matches diffusers' clamp, `* 255` and numpy `round`,
 * because a Uint8ClampedArray store clamps and rounds half to even.
 */
export function tensorToImage(tensor: Float32Array, width: number, height: number): RgbImage {
  const plane = width * height;
  const clamped = new Uint8ClampedArray(3 * plane);
  for (let c = 0; c < 3; c++) {
    const offset = c * plane;
    for (let p = 0; p < plane; p++) clamped[p * 3 + c] = (tensor[offset + p] * 0.5 + 0.5) * 255;
  }
  return { data: new Uint8Array(clamped.buffer), width, height };
}

/** Returns the index of the first non-finite value, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}
