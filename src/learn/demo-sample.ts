import { encodePng } from "../images/encode.js";
import type { MiniSplit } from "../data/mini/dataset.js";

/**
 * Returns a PNG grid of the split with one image per (class, background) pair: classes in rows,
 * backgrounds in columns, each image shown at twice its size. Missing pairs stay grey.
 */
export async function demoSamplePng(split: MiniSplit): Promise<Buffer> {
  const rows = split.classNames.length;
  const columns = split.backgroundNames.length;
  const cell = split.size * 2;
  const width = columns * cell;
  const data = new Uint8Array(width * rows * cell * 3).fill(200);
  const seen = new Set<number>();
  split.fgLabels.forEach((fg, k) => {
    const bg = split.bgLabels[k];
    if (seen.has(fg * columns + bg)) return;
    seen.add(fg * columns + bg);
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const from = ((k * split.size + (y >> 1)) * split.size + (x >> 1)) * 3;
        const to = ((fg * cell + y) * width + bg * cell + x) * 3;
        data.set(split.images.subarray(from, from + 3), to);
      }
    }
  });
  return encodePng({ data, width, height: rows * cell });
}
