import type { Random } from "../core/rng.js";
import type { RgbImage } from "../images/decode.js";
import { centreSquare, cropResizeBicubic, type Box } from "../images/resize.js";

/** Crops the centred square of an image and resizes it to size x size with the bicubic kernel. */
export async function squareResize(image: RgbImage, size: number): Promise<RgbImage> {
  const crop = centreSquare(image.width, image.height);
  const { data } = await cropResizeBicubic({ ...image, channels: 3 }, size, size, crop);
  return { data, width: size, height: size };
}

/** Options of composeGuide. */
export interface ComposeGuideOptions {
  /** Background photo; its centred square becomes the size x size canvas. */
  background: RgbImage;
  /** Foreground photo; its centred square is pasted at fgScale x size. */
  foreground: RgbImage;
  /** Foreground mask (1 channel, the foreground's width x height, 0..255); none pastes a square. */
  mask?: Uint8Array;
  /** Side of the guide image in pixels. */
  size: number;
  /** Side of the pasted foreground as a fraction of size; its pixel side is floor(fgScale x size). */
  fgScale: number;
  /** Picks the paste position: x, then y, each uniform over every position that fits. */
  random: Random;
}

/** A guide image and the box where the foreground was pasted. */
export interface Guide {
  image: RgbImage;
  box: Box;
}

/**
 * Builds the img2img guide image: the background's centred square resized to size, with the
 * foreground's centred square resized to floor(fgScale x size) pasted at a seeded random
 * position. A mask blends instead: out = fg x m + bg x (1 - m) with m = mask / 255, the mask
 * cropped and resized like the foreground.
 */
export async function composeGuide(options: ComposeGuideOptions): Promise<Guide> {
  const { foreground, size } = options;
  const side = Math.max(1, Math.min(size, Math.floor(options.fgScale * size)));
  const box: Box = {
    x: options.random.int(size - side + 1),
    y: options.random.int(size - side + 1),
    width: side,
    height: side,
  };
  const [background, patch, mask] = await Promise.all([
    squareResize(options.background, size),
    squareResize(foreground, side),
    options.mask === undefined ? undefined : squareMask(options.mask, foreground, side),
  ]);
  pasteInto(background, patch, box, mask);
  return { image: background, box };
}

/** Crops and resizes a foreground-sized mask exactly as squareResize treats the foreground. */
export async function squareMask(
  mask: Uint8Array,
  foreground: { width: number; height: number },
  side: number,
): Promise<Uint8Array> {
  const expected = foreground.width * foreground.height;
  if (mask.length !== expected) {
    throw new Error(
      `Mask has ${mask.length} values but the foreground is ${foreground.width}x${foreground.height} (${expected}).`,
    );
  }
  const crop = centreSquare(foreground.width, foreground.height);
  const source = { data: mask, width: foreground.width, height: foreground.height, channels: 1 };
  return (await cropResizeBicubic(source, side, side, crop)).data;
}

/**
 * Pastes `patch` into `canvas` at `box` in place; with a mask, blends with weight mask / 255
 * and rounds to the nearest level.
 */
export function pasteInto(canvas: RgbImage, patch: RgbImage, box: Box, mask?: Uint8Array): void {
  for (let row = 0; row < box.height; row++) {
    const target = ((box.y + row) * canvas.width + box.x) * 3;
    const source = row * patch.width * 3;
    if (mask === undefined) {
      canvas.data.set(patch.data.subarray(source, source + box.width * 3), target);
      continue;
    }
    for (let column = 0; column < box.width; column++) {
      const weight = mask[row * patch.width + column];
      for (let channel = 0; channel < 3; channel++) {
        const t = target + column * 3 + channel;
        const s = source + column * 3 + channel;
        canvas.data[t] = Math.round(
          (patch.data[s] * weight + canvas.data[t] * (255 - weight)) / 255,
        );
      }
    }
  }
}
