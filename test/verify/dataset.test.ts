import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeDataset } from "./fixture.js";
import { loadVerifyDataset } from "../../src/verify/dataset.js";

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
