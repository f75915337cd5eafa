import type { Random } from "../../core/rng.js";
import type { RgbImage } from "../../images/decode.js";
import { composeGuide } from "../../generate/guide.js";
import { FASHION_TILE } from "./manifest.js";

/** Options of composeMiniImage. */
export interface MiniComposeOptions {
  /** A 28 x 28 greyscale Fashion-MNIST item (object bright on black). */
  tile: Uint8Array;
  /** The background pattern; it tiles seamlessly, so crops wrap around its edges. */
  pattern: RgbImage;
  /** Side of the output image in pixels. */
  size: number;
  /** Side of the pasted item as a fraction of size. */
  fgScale: number;
  /** Item pixels above this level (0-255) belong to the object. */
  threshold: number;
  /** Range of the crop side as a fraction of the pattern's shorter side. */
  bgCrop: readonly [number, number];
  random: Random;
}

/**
 * Composites one mini dataset image with the d3s guide compositor. The background is a random
 * square crop of the pattern: a `bgCrop` fraction of its shorter side, wrapping around the
 * edges, mirrored half of the time. The item is pasted with its own mask (pixels above
 * `threshold`).
 */
export async function composeMiniImage(options: MiniComposeOptions): Promise<RgbImage> {
  const background = cropPattern(options.pattern, options.bgCrop, options.random);
  const foreground: RgbImage = {
    data: new Uint8Array(FASHION_TILE * FASHION_TILE * 3),
    width: FASHION_TILE,
    height: FASHION_TILE,
  };
  const mask = new Uint8Array(FASHION_TILE * FASHION_TILE);
  options.tile.forEach((value, i) => {
    foreground.data.fill(value, i * 3, i * 3 + 3);
    mask[i] = value > options.threshold ? 255 : 0;
  });
  const { image } = await composeGuide({
    background,
    foreground,
    mask,
    size: options.size,
    fgScale: options.fgScale,
    random: options.random,
  });
  return image;
}

function cropPattern(
  pattern: RgbImage,
  range: readonly [number, number],
  random: Random,
): RgbImage {
  const shorter = Math.min(pattern.width, pattern.height);
  const fraction = range[0] + (range[1] - range[0]) * random.uniform();
  const side = Math.max(1, Math.floor(shorter * fraction));
  const x0 = random.int(pattern.width);
  const y0 = random.int(pattern.height);
  const mirror = random.uniform() < 0.5;
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const sourceX = (x0 + (mirror ? side - 1 - x : x)) % pattern.width;
      const sourceY = (y0 + y) % pattern.height;
      const from = (sourceY * pattern.width + sourceX) * 3;
      data.set(pattern.data.subarray(from, from + 3), (y * side + x) * 3);
    }
  }
  return { data, width: side, height: side };
}
