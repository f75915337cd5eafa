import type { RgbImage } from "./decode.js";

/**
 * Lays images out in a grid the way torchvision's `make_grid` does: cells of the largest image
 * size, `padding` pixels of `padValue` around and between cells, `nrow` images per row. With
 * two 512x512 images, nrow 2 and padding 2 the grid is 1030x516, the first image at x 2..513 and
 * the second at x 516..1027, both at y 2..513.
 */
export function makeGrid(images: RgbImage[], nrow = 8, padding = 2, padValue = 0): RgbImage {
  const cellWidth = Math.max(...images.map((image) => image.width)) + padding;
  const cellHeight = Math.max(...images.map((image) => image.height)) + padding;
  const columns = Math.min(nrow, images.length);
  const rows = Math.ceil(images.length / columns);
  const width = columns * cellWidth + padding;
  const height = rows * cellHeight + padding;
  const data = new Uint8Array(width * height * 3).fill(padValue);
  images.forEach((image, index) => {
    const left = (index % columns) * cellWidth + padding;
    const top = Math.floor(index / columns) * cellHeight + padding;
    for (let row = 0; row < image.height; row++) {
      const source = image.data.subarray(row * image.width * 3, (row + 1) * image.width * 3);
      data.set(source, ((top + row) * width + left) * 3);
    }
  });
  return { data, width, height };
}
