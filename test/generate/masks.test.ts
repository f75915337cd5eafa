import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import sharp from "sharp";
import { logger } from "../../src/core/log.js";
import { runGenerate } from "../../src/generate/job.js";
import { compareNames } from "../../src/generate/sources.js";
import { decodeImage, type RgbImage } from "../../src/images/decode.js";
import { GraphBuilder } from "../../src/onnx/graph.js";
import { EXAMPLE_BACKGROUNDS, temporaryFolder } from "./fixtures.js";

// Skipped items are expected here; their warnings would only clutter the test output.
logger().level = "error";

/** 40x30 photo: a red 20x20 square at x 10..29, y 5..24 on blue. */
function redSquarePhoto(): Buffer {
  const data = Buffer.alloc(40 * 30 * 3);
  for (let y = 0; y < 30; y++) {
    for (let x = 0; x < 40; x++) {
      const inside = x >= 10 && x < 30 && y >= 5 && y < 25;
      data.set(inside ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    }
  }
  return data;
}

/**
 * Writes an oracle salient-object model. Its saliency is the normalised red channel, so after
 * min-max scaling and the 0.5 threshold the mask is exactly the red square.
 */
async function writeRedChannelModel(path: string): Promise<void> {
  const builder = new GraphBuilder(
    [{ name: "input", type: "float", shape: [1, 3, 64, 64] }],
    [{ name: "saliency", type: "float", shape: [1, 1, 64, 64] }],
  );
  const starts = builder.constantInt64([0]);
  const ends = builder.constantInt64([1]);
  const axes = builder.constantInt64([1]);
  builder.node("Slice", ["input", starts, ends, axes], {}, ["saliency"]);
  await writeFile(path, builder.build().model);
}

function pixel(image: RgbImage, x: number, y: number): number[] {
  const offset = (y * image.width + x) * 3;
  return Array.from(image.data.subarray(offset, offset + 3));
}

/** Sets up class folder `0` (tench, named by index) containing the red-square photo. */
async function setUp() {
  const folder = await temporaryFolder();
  const foregrounds = join(folder, "foregrounds");
  await mkdir(join(foregrounds, "0"), { recursive: true });
  const raw = { raw: { width: 40, height: 30, channels: 3 as const } };
  await sharp(redSquarePhoto(), raw)
    .png()
    .toFile(join(foregrounds, "0", "square.png"));
  return { folder, foregrounds };
}

test("mask model gives ImageNet-9 variants", async () => {
  const { folder, foregrounds } = await setUp();
  const maskModel = join(folder, "red.onnx");
  await writeRedChannelModel(maskModel);
  const out = join(folder, "out");
  const summary = await runGenerate({
    foregrounds,
    backgrounds: EXAMPLE_BACKGROUNDS,
    recipes: ["geography-shift"],
    generator: "composite",
    maskModel,
    size: 30,
    out,
  });
  // 10 countries + only-fg + mixed-rand for the one photo.
  assert.equal(summary.done, 12);
  // only-fg: the centred 30x30 square of the photo (x 5..34) at full size on black. The red
  // square spans x 5..24 and y 5..24 of that crop, so (15, 15) is red and (28, 2) black.
  const onlyFg = await decodeImage(join(out, "train", "only-fg", "0_square.png"));
  assert.deepEqual(pixel(onlyFg, 15, 15), [255, 0, 0]);
  assert.deepEqual(pixel(onlyFg, 28, 2), [0, 0, 0]);
  const mixed = await decodeImage(join(out, "train", "mixed-rand", "0_square.png"));
  assert.deepEqual(pixel(mixed, 15, 15), [255, 0, 0]);
  assert.notDeepEqual(pixel(mixed, 28, 2), [0, 0, 255]);
  assert.notDeepEqual(pixel(mixed, 28, 2), [0, 0, 0]);
});

test("mask folder and missing masks", async () => {
  const { folder, foregrounds } = await setUp();
  await sharp(redSquarePhoto(), { raw: { width: 40, height: 30, channels: 3 } })
    .png()
    .toFile(join(foregrounds, "0", "unmasked.png"));
  const masks = join(folder, "masks");
  await mkdir(join(masks, "0"), { recursive: true });
  const mask = Buffer.alloc(40 * 30);
  for (let y = 5; y < 25; y++) mask.fill(255, y * 40 + 10, y * 40 + 30);
  await sharp(mask, { raw: { width: 40, height: 30, channels: 1 } })
    .png()
    .toFile(join(masks, "0", "square.png"));
  const summary = await runGenerate({
    foregrounds,
    backgrounds: EXAMPLE_BACKGROUNDS,
    recipes: ["time-shift"],
    generator: "composite",
    masks,
    size: 30,
    out: join(folder, "out"),
  });
  // square.png: 6 years + only-fg + mixed-rand; unmasked.png: the same 8 items are skipped.
  assert.equal(summary.done, 8);
  assert.equal(summary.skipped.length, 8);
  assert.match(summary.skipped[0].reason, /mask not found: expected 0\/unmasked\.png/);
  const onlyFg = await decodeImage(join(folder, "out", "train", "only-fg", "0_square.png"));
  assert.deepEqual(pixel(onlyFg, 15, 15), [255, 0, 0]);
  assert.deepEqual(pixel(onlyFg, 28, 2), [0, 0, 0]);
});

test("numeric class folders sort numerically", () => {
  assert.deepEqual(["10", "2", "n01440764", "1"].sort(compareNames), ["1", "2", "10", "n01440764"]);
});
