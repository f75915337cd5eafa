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
 * because a Uint8ClampedArray store clamps and rounds half to even. Returns undefined when the
 * tensor has NaN or infinity.
 */
export function tensorToImage(
  tensor: Float32Array,
  width: number,
  height: number,
): RgbImage | undefined {
  const plane = width * height;
  const clamped = new Uint8ClampedArray(3 * plane);
  // x - x is 0 for finite x and NaN for NaN or infinity, so the sum flags any non-finite value.
  let check = 0;
  for (let p = 0, o = 0; p < plane; p++, o += 3) {
    const r = tensor[p];
    const g = tensor[plane + p];
    const b = tensor[2 * plane + p];
    check += r - r + (g - g) + (b - b);
    clamped[o] = (r + 1) * 127.5;
    clamped[o + 1] = (g + 1) * 127.5;
    clamped[o + 2] = (b + 1) * 127.5;
  }
  if (check !== 0) return undefined;
  return { data: new Uint8Array(clamped.buffer), width, height };
}

/** Returns whether every value is finite (no NaN or infinity). */
export function allFinite(values: Float32Array): boolean {
  let check = 0;
  for (let i = 0; i < values.length; i++) check += values[i] - values[i];
  return check === 0;
}
