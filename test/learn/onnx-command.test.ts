import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyClassifier } from "./tiny-classifier.js";
import { writeColourSplit } from "./colour-split.js";

test("learn command trains with onnx engine", async () => {
  const dir = await mkdtemp(join(tmpdir(), "d3s-onnx-cli-"));
  try {
    await writeColourSplit(dir);
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
