import type { RgbImage } from "../images/decode.js";
import { resizePil, type CropWindow } from "./resample.js";
import { resizedShortSide, type PreprocessConfig } from "./preprocess-config.js";

/** The resize target and crop window that a config gives for one image size. */
export interface ResizePlan {
  width: number;
  height: number;
  window: CropWindow;
}

// Python's round() rounds halves to even; torchvision's CenterCrop uses it for the offset.
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Computes the resize and centre crop for a `width x height` image: the shorter side becomes
 * the resize size and the longer one `trunc(size * long / short)` (torchvision and Hugging Face
 * both truncate), then the centred `inputSize` square is kept.
 */
export function planResize(width: number, height: number, config: PreprocessConfig): ResizePlan {
  const size = config.inputSize;
  if (config.resizeMode === "exact") {
    return { width: size, height: size, window: { left: 0, top: 0, width: size, height: size } };
  }
  const short = resizedShortSide(config);
  const long = Math.trunc((short * Math.max(width, height)) / Math.min(width, height));
  const outWidth = width <= height ? short : long;
  const outHeight = width <= height ? long : short;
  const offset = (extra: number) =>
    config.cropOffset === "round" ? roundHalfEven(extra / 2) : Math.floor(extra / 2);
  return {
    width: outWidth,
    height: outHeight,
    window: {
      left: offset(outWidth - size),
      top: offset(outHeight - size),
      width: size,
      height: size,
    },
  };
}

/** Returns the number of floats in one preprocessed image. */
export function tensorLength(config: PreprocessConfig): number {
  return 3 * config.inputSize * config.inputSize;
}

/**
 * Turns a decoded image into one model input (3 x size x size floats in the config's layout and
 * channel order). Raises when the resized image is smaller than the crop, which only a
 * resize size below the input size can cause.
 */
export function preprocessImage(image: RgbImage, config: PreprocessConfig): Float32Array {
  // 1. Resize with PIL's antialiased kernels, computing only the centre-crop window.
  const plan = planResize(image.width, image.height, config);
  if (plan.window.left < 0 || plan.window.top < 0) {
    throw new Error(
      `resized image ${plan.width}x${plan.height} is smaller than the ${config.inputSize} crop; ` +
        `set resizeSize >= inputSize`,
    );
  }
  const resized = resizePil(image, plan.width, plan.height, config.interpolation, plan.window);

  // 2. Normalise through a per-channel lookup table of the 256 possible byte values.
  const tables = [0, 1, 2].map((c) => {
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = (v * config.scale - config.mean[c]) / config.std[c];
    return table;
  });
  const order = config.channelOrder === "rgb" ? [0, 1, 2] : [2, 1, 0];
  const pixels = config.inputSize * config.inputSize;
  const out = new Float32Array(3 * pixels);
  const data = resized.data;
  for (let slot = 0; slot < 3; slot++) {
    const channel = order[slot];
    const table = tables[channel];
    if (config.layout === "nchw") {
      const base = slot * pixels;
      for (let i = 0; i < pixels; i++) out[base + i] = table[data[i * 3 + channel]];
    } else {
      for (let i = 0; i < pixels; i++) out[i * 3 + slot] = table[data[i * 3 + channel]];
    }
  }
  return out;
}
