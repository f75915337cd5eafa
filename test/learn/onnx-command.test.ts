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
    const colour = { r: classIdx === 0 ? 255 : 0, g: classIdx === 1 ? 255 : 0, b: classIdx === 2 ? 255 : 0 };
    await sharp({ create: { width: 16, height: 16, channels: 3, background: colour } }).png().toFile(join(folder, `${i}.png`));
    entries.push({
      image: `mini/${i}.png`,
      classIdx,
      prompt: "",
      args: {},
      background: BACKGROUNDS[i % 2].phrase,
      hasInit: false,
      id: String(i),
      shift: "mini",
      backgroundIdx: i % 2,
    });
  }
  await writeFile(join(dir, "train", "metadata.json"), JSON.stringify(entries));
}

test("learn command trains with onnx engine", async () => {
  const dir = await mkdtemp(join(tmpdir(), "d3s-onnx-cli-"));
  try {
    await writeSplit(dir);
    const modelPath = join(dir, "tiny.onnx");
    await writeTinyClassifier(modelPath);
    const out = join(dir, "projection");
    const args = ["learn", "--data", dir, "--out", out, "--backbone", "projection", "--onnx-model", modelPath];
    const flags = ["--steps", "6", "--pretrain-steps", "3", "--batch-size", "8", "--feature-dim", "8", "--engine", "onnx"];
    const result = spawnSync(process.execPath, ["bin/d3s.js", ...args, ...flags], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    const history = JSON.parse(await readFile(join(out, "history.json"), "utf8"));
    assert.equal(history.options.engine, "onnx");
    // Steps 4 to 6 train the critics, so the last entry carries finite critic estimates.
    assert.ok(Number.isFinite(history.history.at(-1).criticFg));
    assert.ok(Number.isFinite(history.history.at(-1).criticBg));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("learn command rejects onnx with mine", () => {
  const args = ["learn", "--data", "/nonexistent", "--out", "/tmp/x", "--engine", "onnx", "--penalty", "mine"];
  const result = spawnSync(process.execPath, ["bin/d3s.js", ...args], { encoding: "utf8" });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /Invalid --engine: "onnx" trains Wasserstein critics only, not --penalty "mine"/);
});
