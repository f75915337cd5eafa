import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Random } from "../../src/core/rng.js";
import { SplitMetadata } from "../../src/data/metadata.js";
import { buildMiniSplit } from "../../src/data/mini/dataset.js";
import { writeMiniSplit } from "../../src/data/mini/export.js";
import { loadMiniSources } from "../../src/data/mini/load.js";
import { pairedBackground, planBackgrounds } from "../../src/data/mini/splits.js";
import { miniLearnData } from "../../src/data/mini/learnData.js";

const sources = await loadMiniSources();

/** Labels 0..9, `perClass` items each. */
function classLabels(perClass: number): number[] {
  return Array.from({ length: 10 * perClass }, (_, i) => Math.floor(i / perClass));
}

test("mini sources load every pool", () => {
  // The committed atlas contains 400 + 100 + 200 + 100 items per class.
  assert.equal(sources.pools.train.tiles.length, 4000);
  assert.equal(sources.pools.val.tiles.length, 1000);
  assert.equal(sources.pools.correlated.tiles.length, 2000);
  assert.equal(sources.pools.anti.tiles.length, 1000);
  assert.equal(sources.backgrounds.length, 10);
  assert.equal(sources.pools.train.tiles[0].length, 28 * 28);
});

test("correlated plan keeps exact proportion", () => {
  const labels = classLabels(40);
  const backgrounds = planBackgrounds(labels, "correlated", 10, 0.9, new Random(1));
  for (let label = 0; label < 10; label++) {
    const mine = backgrounds.filter((_, i) => labels[i] === label);
    const paired = mine.filter((b) => b === pairedBackground(label, 10)).length;
    // round(0.9 x 40) = 36 items on the paired background, 4 spread over 4 other backgrounds.
    assert.equal(paired, 36);
    assert.equal(new Set(mine.filter((b) => b !== label)).size, 4);
  }
});

test("anti plan never uses pairing", () => {
  const labels = classLabels(27);
  const backgrounds = planBackgrounds(labels, "anti", 10, 0.95, new Random(2));
  backgrounds.forEach((b, i) => assert.notEqual(b, pairedBackground(labels[i], 10)));
  // 27 items cycle through the 9 other backgrounds: 3 each.
  for (let b = 1; b < 10; b++) {
    assert.equal(backgrounds.filter((x, i) => labels[i] === 0 && x === b).length, 3);
  }
});

test("balanced plan covers every pair", () => {
  const labels = classLabels(20);
  const backgrounds = planBackgrounds(labels, "balanced", 10, 0.95, new Random(3));
  const counts = new Map<string, number>();
  backgrounds.forEach((b, i) =>
    counts.set(`${labels[i]},${b}`, (counts.get(`${labels[i]},${b}`) ?? 0) + 1),
  );
  // 20 items per class over 10 backgrounds: every one of the 100 pairs exactly twice.
  assert.equal(counts.size, 100);
  assert.ok([...counts.values()].every((count) => count === 2));
});

test("mini split is deterministic", async () => {
  const a = await buildMiniSplit(sources, {
    split: "correlated",
    perClass: 20,
    correlation: 0.8,
    seed: 4,
  });
  const b = await buildMiniSplit(sources, {
    split: "correlated",
    perClass: 20,
    correlation: 0.8,
    seed: 4,
  });
  assert.deepEqual(a.images, b.images);
  assert.deepEqual(a.bgLabels, b.bgLabels);
  const c = await buildMiniSplit(sources, {
    split: "correlated",
    perClass: 20,
    correlation: 0.8,
    seed: 5,
  });
  assert.notDeepEqual(a.images, c.images);
  // round(0.8 x 20) = 16 of each class's 20 images on the paired background: 160 of 200.
  const paired = Array.from(a.fgLabels).filter((label, i) => a.bgLabels[i] === label).length;
  assert.equal(paired, 160);
});

test("anti split avoids paired backgrounds", async () => {
  const split = await buildMiniSplit(sources, { split: "anti", perClass: 18 });
  assert.equal(split.fgLabels.length, 180);
  split.fgLabels.forEach((label, i) => assert.notEqual(split.bgLabels[i], label));
  const data = miniLearnData(split);
  assert.deepEqual(data.inputShape, [32, 32, 3]);
  assert.ok(data.inputs.every((value) => value >= 0 && value <= 1));
});

test("mini split writes dataset layout", async () => {
  const out = await mkdtemp(join(tmpdir(), "d3s-mini-"));
  try {
    const split = await buildMiniSplit(sources, { split: "val", perClass: 2, size: 24 });
    const folder = await writeMiniSplit(out, split);
    const entries = SplitMetadata.parse(
      JSON.parse(await readFile(join(folder, "metadata.json"), "utf8")),
    );
    assert.equal(entries.length, 20);
    assert.equal((await readdir(join(folder, "composite"))).length, 20);
    const lines = (await readFile(join(folder, "metadata.jsonl"), "utf8")).trim().split("\n");
    const first = JSON.parse(lines[0]);
    assert.equal(first.file_name, entries[0].image);
    assert.equal(first.label, entries[0].classIdx);
    assert.equal(first.background_key, split.backgroundNames[entries[0].backgroundIdx]);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test("invalid split option is named", async () => {
  await assert.rejects(buildMiniSplit(sources, { split: "val", correlation: 1.5 }), /correlation/);
  await assert.rejects(buildMiniSplit(sources, { split: "val", perClass: 101 }), /perClass 101/);
});
