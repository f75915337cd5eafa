import type { RgbImage } from "../images/decode.js";

/** Resampling kernels of PIL's `Image.BILINEAR` and `Image.BICUBIC`. */
export type Interpolation = "bilinear" | "bicubic";

/** A window of the resized image: only these output pixels are computed. */
export interface CropWindow {
  left: number;
  top: number;
  width: number;
  height: number;
}

interface Kernel {
  support: number;
  weight(x: number): number;
}

// PIL's bicubic kernel uses a = -0.5 (Keys' cubic convolution); torchvision's antialiased
// tensor path uses the same value so both agree with PIL.
const BICUBIC_A = -0.5;

const KERNELS: Record<Interpolation, Kernel> = {
  bilinear: {
    support: 1,
    weight: (x) => {
      const t = Math.abs(x);
      return t < 1 ? 1 - t : 0;
    },
  },
  bicubic: {
    support: 2,
    weight: (x) => {
      const t = Math.abs(x);
      if (t < 1) return ((BICUBIC_A + 2) * t - (BICUBIC_A + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * BICUBIC_A;
      return 0;
    },
  },
};

// PIL computes 8-bit resampling in fixed point with 32 - 8 - 2 = 22 fractional bits. The two
// spare bits keep every sum of byte x weight products inside int32, so the passes below use
// exact int32 arithmetic (Math.imul, | 0, >>) as PIL's C code does.
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Per output pixel: the first input index and its fixed-point weights. */
interface Coefficients {
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  taps: number;
}

/**
 * Computes PIL's resampling coefficients for `inSize -> outSize`, for output indices
 * `from .. from + length - 1`. Downsampling widens the kernel by the scale (antialiasing), so a
 * fine checkerboard averages to grey instead of aliasing.
 */
function coefficients(
  inSize: number,
  outSize: number,
  kernel: Kernel,
  from: number,
  length: number,
): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(length);
  const count = new Int32Array(length);
  const weights = new Int32Array(length * taps);
  const row = new Float64Array(taps);
  for (let i = 0; i < length; i++) {
    const center = (from + i + 0.5) * scale;
    const min = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - min;
    let total = 0;
    for (let k = 0; k < n; k++) {
      row[k] = kernel.weight((k + min - center + 0.5) / filterScale);
      total += row[k];
    }
    first[i] = min;
    count[i] = n;
    for (let k = 0; k < n; k++) {
      const w = total === 0 ? 0 : row[k] / total;
      // PIL rounds each weight half away from zero when it converts to fixed point.
      weights[i * taps + k] = Math.trunc(w < 0 ? w * ONE - 0.5 : w * ONE + 0.5);
    }
  }
  return { first, count, weights, taps };
}

/**
 * Resizes an RGB image to `width x height` exactly as PIL's `Image.resize` does for 8-bit
 * images (horizontal pass, then vertical pass, each rounded to 8 bits), and returns only the
 * pixels inside `window` (default: the whole output). Computing just the window gives the same
 * pixels as resizing fully and cropping afterwards, at a fraction of the cost.
 */
export function resizePil(
  image: RgbImage,
  width: number,
  height: number,
  interpolation: Interpolation,
  window: CropWindow = { left: 0, top: 0, width, height },
): RgbImage {
  const kernel = KERNELS[interpolation];
  const across = coefficients(image.width, width, kernel, window.left, window.width);
  const down = coefficients(image.height, height, kernel, window.top, window.height);

  // 1. Horizontal pass over only the input rows that the vertical pass reads.
  const firstRow = down.first[0];
  const lastRow = down.first[window.height - 1] + down.count[window.height - 1];
  const rows = lastRow - firstRow;
  // Uint8ClampedArray stores each shifted sum clipped to 0..255, as PIL's clip8 does.
  const middle = new Uint8ClampedArray(rows * window.width * 3);
  const source = image.data;
  const stride = image.width * 3;
  const acrossWeights = across.weights;
  for (let y = 0; y < rows; y++) {
    const rowStart = (y + firstRow) * stride;
    for (let x = 0; x < window.width; x++) {
      let r = HALF;
      let g = HALF;
      let b = HALF;
      const base = x * across.taps;
      const count = across.count[x];
      let p = rowStart + across.first[x] * 3;
      for (let k = 0; k < count; k++, p += 3) {
        const w = acrossWeights[base + k];
        r = (r + Math.imul(source[p], w)) | 0;
        g = (g + Math.imul(source[p + 1], w)) | 0;
        b = (b + Math.imul(source[p + 2], w)) | 0;
      }
      const q = (y * window.width + x) * 3;
      middle[q] = r >> PRECISION_BITS;
      middle[q + 1] = g >> PRECISION_BITS;
      middle[q + 2] = b >> PRECISION_BITS;
    }
  }

  // 2. Vertical pass into the window.
  const out = new Uint8ClampedArray(window.width * window.height * 3);
  const middleStride = window.width * 3;
  const downWeights = down.weights;
  for (let y = 0; y < window.height; y++) {
    const base = y * down.taps;
    const count = down.count[y];
    const start = (down.first[y] - firstRow) * middleStride;
    const outStart = y * middleStride;
    for (let x = 0; x < middleStride; x++) {
      let sum = HALF;
      let p = start + x;
      for (let k = 0; k < count; k++, p += middleStride) {
        sum = (sum + Math.imul(middle[p], downWeights[base + k])) | 0;
      }
      out[outStart + x] = sum >> PRECISION_BITS;
    }
  }
  const data = new Uint8Array(out.buffer, out.byteOffset, out.length);
  return { data, width: window.width, height: window.height };
}
