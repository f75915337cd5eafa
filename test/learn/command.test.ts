import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { BACKGROUNDS } from "../../src/data/backgrounds.js";
import { writeTinyClassifier } from "./tiny-classifier.js";

// Writes a split of 12 solid-colour 16x16 images: class = colour, background = index mod 2.
async function writeSplit(dir: string): Promise<void> {
  const folder = join(dir, "train", "mini");
  await mkdir(folder, { recursive: true });
  const entries = [];
  for (let i = 0; i < 12; i++) {
    const classIdx = i % 3;
    const background = BACKGROUNDS[i % 2];
    const colour = { r: classIdx === 0 ? 255 : 0, g: classIdx === 1 ? 255 : 0, b: classIdx === 2 ? 255 : 0 };
    await sharp({ create: { width: 16, height: 16, channels: 3, background: colour } }).png().toFile(join(folder, `${i}.png`));
    entries.push({
      image: `mini/${i}.png`,
      classIdx,
      prompt: "",
      args: {},
      background: background.phrase,
      hasInit: false,
      id: String(i),
      shift: "mini",
      backgroundIdx: i % 2,
    });
  }
  await writeFile(join(dir, "train", "metadata.json"), JSON.stringify(entries));
}

function d3s(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["bin/d3s.js", ...args], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("learn command trains both backbones", async () => {
  const dir = await mkdtemp(join(tmpdir(), "d3s-learn-cli-"));
  try {
    await writeSplit(dir);
    const modelPath = join(dir, "tiny.onnx");
    await writeTinyClassifier(modelPath);
    const common = ["--data", dir, "--steps", "6", "--pretrain-steps", "3", "--batch-size", "8", "--feature-dim", "8"];

    const cnn = d3s(["learn", ...common, "--out", join(dir, "cnn"), "--image-size", "8"]);
    assert.equal(cnn.status, 0, cnn.stderr);
    assert.match(cnn.stdout, /Saved .*model\.json \(12 examples, 6 steps/);
    const history = JSON.parse(await readFile(join(dir, "cnn", "history.json"), "utf8"));
    assert.equal(history.history.at(-1).step, 6);
    assert.equal(history.options.bgDim, 1);

    const projection = d3s([
      "learn", ...common, "--out", join(dir, "projection"), "--backbone", "projection", "--onnx-model", modelPath,
    ]);
    assert.equal(projection.status, 0, projection.stderr);
    const saved = JSON.parse(await readFile(join(dir, "projection", "model.json"), "utf8"));
    // The tiny classifier's pooled feature has 3 values per image.
    assert.deepEqual(saved.spec.inputShape, [3]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("learn command rejects bad flags", async () => {
  const result = d3s(["learn", "--data", "/nonexistent", "--out", "/tmp/x", "--penalty", "entropy"]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /Invalid learn option penalty/);
  const missing = d3s(["learn", "--data", "/nonexistent", "--out", "/tmp/x"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /Split metadata not found: \/nonexistent\/train\/metadata\.json/);
});
