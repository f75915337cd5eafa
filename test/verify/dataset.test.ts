import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeDataset } from "./fixture.js";
import sharp from "sharp";
import { loadVerifyDataset } from "../../src/verify/dataset.js";
import { readGuidePng } from "../../src/verify/guide.js";

async function withMetadata(change: (entries: Record<string, unknown>[]) => void): Promise<string> {
  const fixture = await makeDataset({ count: 2, guides: false });
  const entries = fixture.entries.map((entry) => ({ ...entry })) as Record<string, unknown>[];
  change(entries);
  await writeFile(join(fixture.splitDir, "metadata.json"), JSON.stringify(entries));
  return fixture.splitDir;
}

test("dataset rejects unsafe metadata", async () => {
  const escaping = await withMetadata((entries) => (entries[0].image = "../../etc/passwd"));
  await assert.rejects(loadVerifyDataset(escaping), /leaves the split folder/);
  const absolute = await withMetadata((entries) => (entries[0].image = "/etc/passwd"));
  await assert.rejects(loadVerifyDataset(absolute), /leaves the split folder/);
  const dotId = await withMetadata((entries) => (entries[0].id = "shift/../x"));
  await assert.rejects(loadVerifyDataset(dotId), /Invalid image id "shift\/\.\.\/x"/);
  const duplicate = await withMetadata((entries) => (entries[1].id = entries[0].id));
  await assert.rejects(loadVerifyDataset(duplicate), /Duplicate image id "img-000"/);
  const wrongType = await withMetadata((entries) => (entries[0].classIdx = "one"));
  await assert.rejects(loadVerifyDataset(wrongType), /Invalid .*metadata\.json at 0\.classIdx/);
});

test("dataset points to split folders", async () => {
  const fixture = await makeDataset({ count: 1 });
  await assert.rejects(loadVerifyDataset(fixture.root), new RegExp(`Pass a split folder instead: ${fixture.splitDir}`));
  await assert.rejects(loadVerifyDataset(join(fixture.root, "nope")), /does not exist/);
  const empty = join(fixture.root, "empty");
  await mkdir(empty);
  await assert.rejects(loadVerifyDataset(empty), /has no metadata\.json\.$/);
});

test("dataset accepts generate ids", async () => {
  const splitDir = await withMetadata((entries) => (entries[0].id = "background-shift/n01443537_fish-1.a_0"));
  const dataset = await loadVerifyDataset(splitDir);
  assert.ok(dataset.items.has("background-shift/n01443537_fish-1.a_0"));
});

test("guides from args stay images", async () => {
  // args may name a guide, but only an image file inside the split counts: metadata.json, the
  // vote store and paths outside the split are ignored; a JPEG guide is served as PNG.
  const splitDir = await withMetadata((entries) => {
    entries[0].args = { guideImage: "metadata.json", initImage: "../metadata.json" };
    entries[1].args = { guideImage: "guides/photo.jpg" };
  });
  await mkdir(join(splitDir, "guides"));
  await writeFile(join(splitDir, "guides", "photo.jpg"), await sharp({ create: { width: 8, height: 6, channels: 3, background: "#0a0" } }).jpeg().toBuffer());
  const dataset = await loadVerifyDataset(splitDir);
  assert.equal(dataset.items.get("img-000")?.guide, undefined);
  const guide = dataset.items.get("img-001")?.guide;
  assert.deepEqual(guide, { path: join(splitDir, "guides", "photo.jpg"), grid: false });
  assert.ok(guide !== undefined);
  const png = await readGuidePng(guide);
  assert.equal(png.subarray(1, 4).toString("latin1"), "PNG", "PNG signature");
  const { width, height } = await sharp(png).metadata();
  assert.deepEqual([width, height], [8, 6]);
});
