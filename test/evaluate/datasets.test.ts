import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { classFolderLabels } from "../../src/evaluate/class-order.js";
import { loadDataset, RELEASED_CROP } from "../../src/evaluate/datasets.js";
import { decodeForModels } from "../../src/evaluate/decode-worker.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { parsePreprocess } from "../../src/evaluate/preprocess-config.js";
import { BLUE, writeColourClassifier, writeFlatJpeg } from "./fixtures.js";
import { temporaryFolder } from "../support/temporary.js";

test("numeric folders sort numerically", () => {
  // Lexicographic order would put 10 before 2; labels are the folder numbers.
  const labels = classFolderLabels(["10", "2", "0"]);
  assert.deepEqual(labels.map((entry) => entry.folder), ["0", "2", "10"]);
  assert.deepEqual(labels.map((entry) => entry.label), [0, 2, 10]);
  assert.deepEqual(classFolderLabels(["01_bird", "00_dog"]).map((entry) => entry.label), [0, 1]);
});

test("wordnet folders map to imagenet indices", () => {
  // n01440764 (tench) and n01443537 (goldfish) are ImageNet-1k classes 0 and 1; n15075141
  // (toilet tissue) is the last class, 999.
  const labels = classFolderLabels(["n15075141", "n01443537", "n01440764"]);
  assert.deepEqual(labels.map((entry) => entry.label), [0, 1, 999]);
});

test("ambiguous class folders are rejected", () => {
  assert.throws(() => classFolderLabels(["dog", "cat"]), /Cannot tell the class index of folders dog, cat/);
  assert.throws(() => classFolderLabels(["1", "01"]), /same label 1/);
  assert.throws(() => classFolderLabels(["n00000001"]), /not an ImageNet-1k WordNet id/);
});

test("imagefolder reads wordnet folders", async () => {
  const root = await temporaryFolder("d3s-imagefolder-");
  await writeFlatJpeg(join(root, "n01443537", "b.jpg"), BLUE);
  await writeFlatJpeg(join(root, "n01440764", "a.jpg"), BLUE);
  await writeFile(join(root, "n01440764", "notes.txt"), "skipped by extension");
  const dataset = await loadDataset(root);
  assert.equal(dataset.layout, "imagefolder");
  assert.deepEqual(dataset.items.map((item) => [item.file, item.label]), [
    [join("n01440764", "a.jpg"), 0],
    [join("n01443537", "b.jpg"), 1],
  ]);
});

/**
 * Writes a released D3S grid: a 2 px white border, the guide half red, the generated half
 * (x 516..1027, y 2..513) blue, and the 2 px right border yellow so a crop two pixels off shows.
 */
async function writeReleasedGrid(path: string): Promise<void> {
  const width = 1030;
  const height = 516;
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (y >= 2 && y <= 513 && x >= 2 && x <= 513) data.set([255, 0, 0], i);
      if (y >= 2 && y <= 513 && x >= 516 && x <= 1027) data.set([0, 0, 255], i);
      if (x >= 1028) data.set([255, 255, 0], i);
    }
  }
  await sharp(Buffer.from(data), { raw: { width, height, channels: 3 } }).png().toFile(path);
}

test("released layout crops the generated half", async () => {
  const root = await temporaryFolder("d3s-released-");
  await mkdir(join(root, "images"));
  await writeReleasedGrid(join(root, "images", "0.png"));
  // A 512x512 image in a released set is not a grid, so it is skipped and counted.
  await writeFlatJpeg(join(root, "images", "1.jpg"), BLUE, 512, 512);
  await writeFile(
    join(root, "metadata.json"),
    JSON.stringify([
      { image: "images/0.png", classIdx: 30, prompt: "p", args: {}, background: "in snow", hasInit: true },
      { image: "images/1.jpg", classIdx: 30, prompt: "p", args: {}, background: "in snow", hasInit: true },
    ]),
  );
  const dataset = await loadDataset(root);
  assert.equal(dataset.layout, "released");
  assert.deepEqual(dataset.items[0].crop, { left: 516, top: 2, width: 512, height: 512 });

  // Identity preprocessing (scale 1, mean 0, std 1, no resize) exposes the cropped pixels:
  // every pixel is pure blue, with no white border and no yellow right border.
  const identity = parsePreprocess(
    { inputSize: 512, resizeSize: 512, scale: 1, mean: [0, 0, 0], std: [1, 1, 1], layout: "nhwc" },
    "test",
  );
  const [tensor] = await decodeForModels({ id: 0, path: dataset.items[0].path, crop: RELEASED_CROP }, [identity]);
  const colours = new Set<string>();
  for (let i = 0; i < tensor.length; i += 3) colours.add(`${tensor[i]},${tensor[i + 1]},${tensor[i + 2]}`);
  assert.deepEqual([...colours], ["0,0,255"]);

  // End to end: the colour classifier predicts blue (class 30), and the non-grid image is unreadable.
  const model = join(root, "colour.onnx");
  await writeColourClassifier(model);
  const { results } = await evaluate({ dataset: root, models: [model], out: join(root, "out"), workers: 1, resamples: 20, report: false });
  assert.equal(results[0].rows[0].n, 1);
  assert.equal(results[0].rows[0].top1, 1);
  assert.equal(results[0].sets.dataset.unreadable, 1);
  assert.match(results[0].sets.dataset.skipped[0].reason, /expected a 1030x516 grid/);
});

test("odd image formats decode or count", async () => {
  const root = await temporaryFolder("d3s-formats-");
  const folder = join(root, "images", "30");
  await mkdir(folder, { recursive: true });
  const blue = () => sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 0, g: 0, b: 255 } } });
  await blue().toColourspace("rgb16").png().toFile(join(folder, "sixteen-bit.png"));
  await blue().toColourspace("cmyk").jpeg().toFile(join(folder, "cmyk.jpg"));
  await blue().ensureAlpha(1).png().toFile(join(folder, "alpha.png"));
  await blue().withMetadata({ orientation: 6 }).jpeg().toFile(join(folder, "rotated.jpg"));
  // A PNG saved with a .jpg name: the format comes from the bytes.
  await blue().png().toFile(join(folder, "png-named.jpg"));
  await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 90, g: 90, b: 90 } } })
    .toColourspace("b-w")
    .png()
    .toFile(join(folder, "grey.png"));
  const jpeg = await blue().jpeg().toBuffer();
  await writeFile(join(folder, "truncated.jpg"), jpeg.subarray(0, jpeg.length >> 1));

  const model = join(root, "colour.onnx");
  await writeColourClassifier(model);
  const { results } = await evaluate({ dataset: join(root, "images"), models: [model], out: join(root, "out"), workers: 1, resamples: 20, report: false });
  const result = results[0];
  // Seven files: the truncated one is skipped and counted, the other six are read.
  assert.equal(result.sets.dataset.images, 7);
  assert.equal(result.sets.dataset.unreadable, 1);
  assert.match(result.sets.dataset.skipped[0].file, /truncated\.jpg$/);
  // The five blue files are nearest to the blue centre (class 30); grey is nearest to another one.
  const predicted = new Map(result.predictions.dataset.map((p) => [p.file.split("/").pop(), p.top5[0]]));
  for (const name of ["sixteen-bit.png", "cmyk.jpg", "alpha.png", "rotated.jpg", "png-named.jpg"]) {
    assert.equal(predicted.get(name), 30, name);
  }
  assert.ok(predicted.has("grey.png"));
});
