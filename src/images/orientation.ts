import type { RawImage } from "./resize.js";

/**
 * Applies an EXIF orientation (1-8) to stored pixels, giving the pixels as displayed. Values
 * 5-8 swap width and height. The mapping follows the TIFF/EXIF definition of the tag: the
 * value names where the stored first row and first column appear (6: first row on the right,
 * so the display is the stored image turned 90 degrees clockwise).
 */
export function orientPixels(image: RawImage, orientation: number): RawImage {
  if (orientation === 1 || !Number.isInteger(orientation) || orientation < 1 || orientation > 8) {
    return image;
  }
  const { width, height, channels } = image;
  const swaps = orientation >= 5;
  const outWidth = swaps ? height : width;
  const outHeight = swaps ? width : height;
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [u, v] = displayedPosition(orientation, x, y, width, height);
      const from = (y * width + x) * channels;
      data.set(image.data.subarray(from, from + channels), (v * outWidth + u) * channels);
    }
  }
  return { data, width: outWidth, height: outHeight, channels };
}

/** Returns where stored pixel (x, y) lands on the displayed image. */
function displayedPosition(
  orientation: number,
  x: number,
  y: number,
  width: number,
  height: number,
): [number, number] {
  switch (orientation) {
    case 2:
      return [width - 1 - x, y];
    case 3:
      return [width - 1 - x, height - 1 - y];
    case 4:
      return [x, height - 1 - y];
    case 5:
      return [y, x];
    case 6:
      return [height - 1 - y, x];
    case 7:
      return [height - 1 - y, width - 1 - x];
    case 8:
      return [y, width - 1 - x];
    default:
      return [x, y];
  }
}
