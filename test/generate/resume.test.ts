import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import sharp from "sharp";
import { writeTinyModel } from "../../src/diffusion/tiny.js";
import { readManifests } from "../../src/generate/manifest.js";
import { runGenerate } from "../../src/generate/job.js";
import {
  EXAMPLE_BACKGROUNDS,
  EXAMPLE_FOREGROUNDS,
  EXAMPLE_RECIPE,
  REPO,
  differingFiles,
  readTree,
  temporaryFolder,
} from "./fixtures.js";

/** Counts the finished-item manifests written so far. */
async function countManifests(out: string): Promise<number> {
  try {
    const files = await readdir(join(out, "train", "manifests"), { recursive: true });
    return files.filter((file) => file.endsWith(".json")).length;
  } catch {
    return 0;
  }
}

test("resume after kill -9", { timeout: 120_000 }, async () => {
  const folder = await temporaryFolder();
  const model = join(folder, "tiny");
  await writeTinyModel(model);
  // 128 px and 20 full-strength steps take about 0.2 s per item, slow enough to kill mid-run.
  const settings = {
    foregrounds: EXAMPLE_FOREGROUNDS,
    backgrounds: EXAMPLE_BACKGROUNDS,
    recipes: [EXAMPLE_RECIPE],
    model,
    size: 128,
    steps: 20,
    strength: 1,
  };
  const killed = join(folder, "killed");
  const child = spawn(
    process.execPath,
    [
      join(REPO, "bin", "d3s.js"),
      "generate",
      ...["--foregrounds", settings.foregrounds, "--backgrounds", settings.backgrounds],
      ...["--recipe", EXAMPLE_RECIPE, "--model", model, "--size", "128", "--steps", "20"],
      ...["--strength", "1", "--out", killed],
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("exit", (_code, signal) => resolve(signal)),
  );
  while ((await countManifests(killed)) < 3 && child.exitCode === null) await sleep(10);
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");

  // Every item with a manifest has a complete image.
  const finished = await readManifests(join(killed, "train"));
  assert.ok(finished.size >= 3, `${finished.size} items finished before the kill`);
  assert.ok(finished.size < 16, "the run finished before the kill; make the items slower");
  for (const id of finished.keys()) {
    const { width } = await sharp(join(killed, "train", `${id}.png`)).metadata();
    assert.equal(width, 128);
  }

  const resumed = await runGenerate({ ...settings, out: killed, batchSize: 2 });
  assert.equal(resumed.alreadyDone, finished.size);
  assert.equal(resumed.metadataEntries, 16);

  const reference = join(folder, "reference");
  await runGenerate({ ...settings, out: reference });
  const keep = (tree: Map<string, Buffer>) =>
    new Map([...tree].filter(([path]) => !path.endsWith(".tmp") && !path.includes("skipped")));
  const expected = keep(await readTree(reference));
  assert.deepEqual(differingFiles(expected, keep(await readTree(killed))), []);
});
