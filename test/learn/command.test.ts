import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyClassifier } from "./tiny-classifier.js";
import { writeColourSplit } from "./colour-split.js";

function d3s(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["bin/d3s.js", ...args], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("learn command trains both backbones", async () => {
  const dir = await mkdtemp(join(tmpdir(), "d3s-learn-cli-"));
  try {
    await writeColourSplit(dir);
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
  assert.match(result.stderr, /Invalid --penalty "entropy": expected one of wasserstein, mine/);
  const missing = d3s(["learn", "--data", "/nonexistent", "--out", "/tmp/x"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /Split metadata not found: \/nonexistent\/train\/metadata\.json/);
});

test("learn checkpoint names changed options", async () => {
  const dir = await mkdtemp(join(tmpdir(), "d3s-learn-resume-"));
  try {
    await writeColourSplit(dir);
    const out = join(dir, "cnn");
    const common = ["--data", dir, "--out", out, "--steps", "4", "--pretrain-steps", "2"];
    const small = ["--batch-size", "8", "--feature-dim", "8", "--image-size", "8"];
    const first = d3s(["learn", ...common, ...small, "--cnn-channels", "4,6"]);
    assert.equal(first.status, 0, first.stderr);
    const saved = JSON.parse(await readFile(join(out, "model.json"), "utf8"));
    assert.deepEqual(saved.spec.cnnChannels, [4, 6]);

    // Another penalty and other channels under the same --out: both are named, with flags.
    const index = join(out, "checkpoint", "checkpoint.json");
    const fix = `Use another --out, or delete ${index} to start over.`;
    const other = ["--cnn-channels", "4,8", "--penalty", "none"];
    const changed = d3s(["learn", ...common, ...small, ...other]);
    assert.equal(changed.status, 2, changed.stderr);
    // The image loading progress comes first, so the error is the last line.
    assert.equal(
      changed.stderr.trimEnd().split("\n").at(-1),
      `d3s: The checkpoint in ${join(out, "checkpoint")} belongs to a run with other options ` +
        `(--cnn-channels 4,6 there, 4,8 now; --penalty "wasserstein" there, "none" now). ${fix}`,
    );

    // The same options with more steps resume, but another --image-size changes the data.
    const longer = ["--data", dir, "--out", out, "--steps", "6", "--pretrain-steps", "2"];
    const resumed = d3s(["learn", ...longer, ...small, "--cnn-channels", "4,6"]);
    assert.equal(resumed.status, 0, resumed.stderr);
    const larger = ["--batch-size", "8", "--feature-dim", "8", "--image-size", "12"];
    const otherData = d3s(["learn", ...longer, ...larger, "--cnn-channels", "4,6"]);
    assert.equal(otherData.status, 2, otherData.stderr);
    assert.match(otherData.stderr, /with the same options but other data\. Use another --out/);

    // A checkpoint written before the options were stored gets the general message.
    const old = JSON.parse(await readFile(index, "utf8"));
    delete old.options;
    await writeFile(index, JSON.stringify(old));
    const legacy = d3s(["learn", ...common, ...small, "--penalty", "none"]);
    assert.equal(legacy.status, 2, legacy.stderr);
    assert.match(legacy.stderr, /belongs to a run with other options or data\. Use another --out/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
