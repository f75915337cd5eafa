import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { extractOnnxFeatures } from "../../src/learn/onnx-features.js";
import { writeTinyClassifier } from "./tiny-classifier.js";


test("onnx features come from cache", async () => {
  const dir = await mkdtemp(join(tmpdir(), "d3s-features-"));
  try {
    const modelPath = join(dir, "tiny.onnx");
    await writeTinyClassifier(modelPath);
    const colours = [
      [255, 0, 0],
      [0, 128, 255],
    ];
    const images: string[] = [];
    for (const [index, [r, g, b]] of colours.entries()) {
      const path = join(dir, `solid${index}.png`);
      await sharp({ create: { width: 12, height: 10, channels: 3, background: { r, g, b } } }).png().toFile(path);
      images.push(path);
    }
    const broken = join(dir, "broken.png");
    await writeFile(broken, "not an image");
    images.push(broken);
    const cacheDir = join(dir, "cache");
    const options = { modelPath, cacheDir };

    const first = await extractOnnxFeatures(images, options);
    assert.equal(first.cached, false);
    assert.equal(first.outputName, "pooled_features");
    assert.equal(first.dim, 3);
    assert.deepEqual(first.imageIndices, [0, 1]);
    assert.equal(first.skipped[0].path, broken);
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    colours.forEach((colour, i) => {
      colour.forEach((value, c) => {
        const expected = (value / 255 - mean[c]) / std[c];
        assert.ok(Math.abs(first.features[i * 3 + c] - expected) < 1e-4, `image ${i} channel ${c}`);
      });
    });

    const second = await extractOnnxFeatures(images, options);
    assert.equal(second.cached, true);
    assert.deepEqual(second.features, first.features);
    assert.deepEqual((await readdir(cacheDir)).length, 2);

    // Another feature tensor is another cache entry.
    const logits = await extractOnnxFeatures(images, { ...options, outputName: "logits" });
    assert.equal(logits.cached, false);
    assert.equal(logits.dim, 4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
