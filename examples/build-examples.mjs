#!/usr/bin/env node
// Rebuilds the example photos from Debian's darknet sample images (MIT; package darknet,
// /usr/share/darknet/data): crops around one object or one kind of background, downscaled so
// the longer side is at most 320 px.
// Usage: node examples/build-examples.mjs [DARKNET_DATA_FOLDER]
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";

const source = process.argv[2] ?? "/usr/share/darknet/data";
const root = dirname(fileURLToPath(import.meta.url));

// [output path, source photo, crop left, top, width, height] in source pixels.
const CROPS = [
  ["foregrounds/n02110063/dog.jpg", "dog.jpg", 100, 200, 260, 340],
  ["foregrounds/n01614925/eagle.jpg", "eagle.jpg", 120, 40, 490, 460],
  ["foregrounds/n02389026/horses.jpg", "horses.jpg", 230, 180, 200, 200],
  ["foregrounds/n02391049/zebra.jpg", "giraffe.jpg", 240, 200, 190, 210],
  ["backgrounds/grass/horses-field.jpg", "horses.jpg", 380, 370, 393, 142],
  ["backgrounds/forest/giraffe-trees.jpg", "giraffe.jpg", 0, 0, 170, 330],
  ["backgrounds/water/kite-sea.jpg", "kite.jpg", 700, 560, 652, 340],
  ["backgrounds/water/eagle-lake.jpg", "eagle.jpg", 610, 130, 163, 270],
  ["backgrounds/road/dog-street.jpg", "dog.jpg", 270, 95, 200, 75],
];

for (const [output, photo, left, top, width, height] of CROPS) {
  const path = join(root, output);
  await mkdir(dirname(path), { recursive: true });
  await sharp(join(source, photo))
    .extract({ left, top, width, height })
    .resize(320, 320, { fit: "inside", withoutEnlargement: true })
    .jpeg({ quality: 85 })
    .toFile(path);
}
process.stdout.write(`Wrote ${CROPS.length} example photos under ${root}\n`);
