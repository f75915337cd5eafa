import assert from "node:assert/strict";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import sharp from "sharp";
import type { ProgressEvent } from "../../src/core/progress.js";
import { SplitMetadata } from "../../src/data/metadata.js";
import { writeTinyModel } from "../../src/diffusion/tiny.js";
import { logger } from "../../src/core/log.js";
import { runGenerate } from "../../src/generate/job.js";
import { GraphBuilder } from "../../src/onnx/graph.js";
import type { GenerateOptionsInput } from "../../src/generate/options.js";
import {
  EXAMPLE_BACKGROUNDS,
  EXAMPLE_FOREGROUNDS,
  EXAMPLE_RECIPE,
  differingFiles,
  foregroundsWithBadFiles,
  readTree,
  temporaryFolder,
} from "./fixtures.js";

// Skipped items are expected here; their warnings would only clutter the test output.
logger().level = "error";

// The example set: 4 foreground photos x 4 backgrounds of the example recipe = 16 items.
const EXAMPLE_ITEMS = 16;

test("composite run writes dataset", async () => {
  const folder = await temporaryFolder();
  const foregrounds = await foregroundsWithBadFiles(folder);
  const out = join(folder, "out");
  const options: GenerateOptionsInput = {
    foregrounds,
    backgrounds: EXAMPLE_BACKGROUNDS,
    recipes: [EXAMPLE_RECIPE],
    generator: "composite",
    size: 64,
    out,
    saveInit: true,
  };
  const summary = await runGenerate(options);
  assert.equal(summary.done, EXAMPLE_ITEMS);
  // Two bad eagle files x 4 backgrounds.
  assert.equal(summary.skipped.length, 8);
  assert.ok(
    summary.skipped.some((item) => /notes\.jpg.*unsupported image format/.test(item.reason)),
  );
  assert.ok(summary.skipped.some((item) => /truncated\.jpg/.test(item.reason)));

  const metadata = SplitMetadata.parse(
    JSON.parse(await readFile(join(out, "train", "metadata.json"), "utf8")),
  );
  assert.equal(metadata.length, EXAMPLE_ITEMS);
  const first = metadata[0];
  assert.equal(first.image, "background-shift/n01614925_eagle_0.png");
  assert.equal(first.classIdx, 22);
  assert.equal(first.background, "on grass");
  assert.equal(first.backgroundIdx, 0);
  assert.equal(first.hasInit, false);
  assert.match(
    first.prompt,
    /^a photo of a bald eagle, a large eagle of North America .*, on grass$/,
  );

  const lines = (await readFile(join(out, "train", "metadata.jsonl"), "utf8")).trim().split("\n");
  assert.equal(lines.length, EXAMPLE_ITEMS);
  const record = JSON.parse(lines[1]) as Record<string, unknown>;
  assert.equal(record.file_name, "background-shift/n01614925_eagle_1.png");
  assert.equal(record.background_key, "road");
  assert.equal(record.label, 22);

  const image = await sharp(join(out, "train", first.image)).metadata();
  assert.equal(image.width, 64);
  // make_grid with two 64 px images, nrow 2, padding 2: (64 + 2) x 2 + 2 = 134 by 64 + 4 = 68.
  const grid = await sharp(join(out, "init", "train", `${first.id}.png`)).metadata();
  assert.equal(grid.width, 134);
  assert.equal(grid.height, 68);

  const skippedRecord = JSON.parse(await readFile(join(out, "train", "skipped.json"), "utf8"));
  assert.equal(skippedRecord.length, 8);
});

test("rerun skips finished items", async () => {
  const out = join(await temporaryFolder(), "out");
  const options: GenerateOptionsInput = {
    foregrounds: EXAMPLE_FOREGROUNDS,
    backgrounds: EXAMPLE_BACKGROUNDS,
    recipes: [EXAMPLE_RECIPE],
    generator: "composite",
    size: 32,
    out,
  };
  const first = await runGenerate({ ...options, limit: 5 });
  assert.equal(first.done, 5);
  const events: ProgressEvent[] = [];
  const second = await runGenerate(options, (event) => events.push(event));
  assert.equal(second.alreadyDone, 5);
  assert.deepEqual(events[0], {
    stage: "generate",
    done: 0,
    total: 11,
    status: "5 already finished",
  });
  assert.equal(events.at(-1)?.done, 11);
  events.forEach((event, i) =>
    assert.ok(i === 0 || event.done >= events[i - 1].done, `event ${i}`),
  );
  assert.equal(second.done, EXAMPLE_ITEMS - 5);
  assert.equal(second.metadataEntries, EXAMPLE_ITEMS);
  await assert.rejects(runGenerate({ ...options, size: 48 }), /size: 32 before, 48 now/);
});

let model = "";

before(async () => {
  model = join(await temporaryFolder("d3s-tiny-"), "tiny");
  await writeTinyModel(model);
});

/** Runs img2img with the tiny model at 64 px and 3 steps (2 after strength 0.9) into `out`. */
async function tinyRun(out: string, extra: Partial<GenerateOptionsInput> = {}) {
  return runGenerate({
    foregrounds: EXAMPLE_FOREGROUNDS,
    backgrounds: EXAMPLE_BACKGROUNDS,
    recipes: [EXAMPLE_RECIPE],
    model,
    size: 64,
    steps: 3,
    out,
    saveInit: true,
    ...extra,
  });
}

/** Files whose bytes must not depend on batch size, shards or restarts. */
function datasetFiles(tree: Map<string, Buffer>): Map<string, Buffer> {
  return new Map([...tree].filter(([path]) => !/skipped/.test(path)));
}

test("img2img same bytes across batches", async () => {
  const reference = join(await temporaryFolder(), "out");
  const summary = await tinyRun(reference, { batchSize: 1 });
  assert.equal(summary.done, EXAMPLE_ITEMS);
  const manifest = JSON.parse(
    await readFile(
      join(reference, "train", "manifests", "background-shift", "n02110063_dog_2.json"),
      "utf8",
    ),
  );
  // DDIM, 3 steps, steps_offset 1: timesteps [667, 334, 1]; strength 0.9 skips
  // 3 - int(3 x 0.9) = 1 step, leaving [334, 1].
  assert.deepEqual(manifest.timesteps, [334, 1]);
  assert.equal(manifest.scheduler, "ddim");
  assert.equal(manifest.modelHash.length, 64);
  const expected = datasetFiles(await readTree(reference));

  const batched = join(await temporaryFolder(), "out");
  await tinyRun(batched, { batchSize: 2 });
  assert.deepEqual(differingFiles(expected, datasetFiles(await readTree(batched))), []);

  const sharded = join(await temporaryFolder(), "out");
  const shard0 = await tinyRun(sharded, { shard: "0/2" });
  const shard1 = await tinyRun(sharded, { shard: "1/2", batchSize: 3 });
  assert.equal(shard0.done + shard1.done, EXAMPLE_ITEMS);
  assert.deepEqual(differingFiles(expected, datasetFiles(await readTree(sharded))), []);

  const restarted = join(await temporaryFolder(), "out");
  await tinyRun(restarted, { limit: 3 });
  const resumed = await tinyRun(restarted, { batchSize: 4 });
  assert.equal(resumed.alreadyDone, 3);
  assert.deepEqual(differingFiles(expected, datasetFiles(await readTree(restarted))), []);
});

test("changed model rejected on resume", async () => {
  const out = join(await temporaryFolder(), "out");
  await tinyRun(out, { limit: 1 });
  const other = join(await temporaryFolder("d3s-tiny-"), "tiny");
  await writeTinyModel(other, { seed: 1 });
  await assert.rejects(
    tinyRun(out, { model: other }),
    /other settings \(modelHash: "[0-9a-f]{64}" before/,
  );
});

test("options rejected before any work", async () => {
  const base = { foregrounds: EXAMPLE_FOREGROUNDS, backgrounds: EXAMPLE_BACKGROUNDS };
  await assert.rejects(runGenerate(base), /Invalid --model: img2img needs --model DIR/);
  await assert.rejects(
    runGenerate({ ...base, generator: "composite", size: "abc" as never }),
    /Invalid --size "abc"/,
  );
  await assert.rejects(
    runGenerate({ ...base, generator: "composite", shard: "2/2" }),
    /Invalid --shard "2\/2": k must be below n/,
  );
  await assert.rejects(
    runGenerate({ ...base, generator: "diffuse" as never }),
    /Invalid --generator "diffuse"/,
  );
  await assert.rejects(
    runGenerate({ ...base, model, size: 100 }),
    /Invalid --size 100: img2img needs a multiple of 8/,
  );
  await assert.rejects(
    runGenerate({ ...base, generator: "composite", recipes: ["background-shift"] }),
    /uses the background "in sand", but the backgrounds folder has no photos in sand\//,
  );
});

/** Writes a VAE decoder with the tiny model's names whose every output value is NaN. */
async function writeNanDecoder(path: string): Promise<void> {
  const builder = new GraphBuilder(
    [
      {
        name: "latent_sample",
        type: "float",
        shape: ["batch", 4, "height_latent", "width_latent"],
      },
    ],
    [{ name: "sample", type: "float", shape: ["batch", 3, "height", "width"] }],
  );
  const toPixels = builder.constant(new Float32Array(192 * 4).fill(1), [192, 4, 1, 1]);
  const patches = builder.node("Conv", ["latent_sample", toPixels]);
  const pixels = builder.node("DepthToSpace", [patches], { blocksize: 8, mode: "CRD" });
  builder.node("Mul", [pixels, builder.constant([Number.NaN], [1])], {}, ["sample"]);
  await writeFile(path, builder.build().model);
}

test("non-finite items skipped, run continues", async () => {
  const folder = await temporaryFolder();
  const broken = join(folder, "tiny");
  await writeTinyModel(broken);
  await writeNanDecoder(join(broken, "vae_decoder", "model.onnx"));
  const out = join(folder, "out");
  const summary = await tinyRun(out, { model: broken, limit: 3, batchSize: 2, saveInit: false });
  assert.equal(summary.done, 0);
  assert.equal(summary.skipped.length, 3);
  for (const item of summary.skipped) assert.match(item.reason, /non-finite values/);
  const images = await readdir(join(out, "train"));
  assert.ok(!images.includes("background-shift"), `unexpected image folder: ${images.join(", ")}`);
});
