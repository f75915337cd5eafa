import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { classByWnid, imagenetClasses } from "../../src/data/imagenet.js";
import { temporaryFolder } from "../support/temporary.js";

test("class table has 1000 classes", () => {
  const classes = imagenetClasses();
  assert.equal(classes.length, 1000);
  assert.equal(new Set(classes.map((entry) => entry.wnid)).size, 1000);
  classes.forEach((entry, index) => assert.equal(entry.index, index));
  for (const entry of classes) assert.ok(entry.definition.length > 0, entry.wnid);
});

test("class table known anchors", () => {
  // Published positions of the standard ImageNet-1k order (the WordNet ids sorted).
  const anchors: Array<[number, string, string]> = [
    [0, "n01440764", "tench"],
    [1, "n01443537", "goldfish"],
    [207, "n02099601", "golden retriever"],
    [999, "n15075141", "toilet tissue"],
  ];
  for (const [index, wnid, name] of anchors) {
    assert.equal(imagenetClasses()[index].wnid, wnid, `wnid of ${index}`);
    assert.equal(imagenetClasses()[index].name, name, `name of ${index}`);
  }
  assert.equal(classByWnid("n02099601")?.index, 207);
  assert.equal(classByWnid("n99999999"), undefined);
});

test("class table glosses from WordNet", () => {
  // WordNet 3.0 gloss of n02099601, without its usage examples.
  assert.equal(
    classByWnid("n02099601")?.definition,
    "an English breed having a long silky golden coat",
  );
});

const sources = ["/usr/share/darknet/data/imagenet.labels.list", "/usr/share/wordnet/data.noun"];
const missing = sources.filter((path) => !existsSync(path));

test(
  "build script reproduces committed table",
  { skip: missing.length > 0 ? `missing Debian sources: ${missing.join(", ")}` : false },
  async () => {
    const out = join(await temporaryFolder("d3s-classes-"), "classes.json");
    execFileSync(process.execPath, ["scripts/build-imagenet-classes.mjs", ...sources, out]);
    const committed = readFileSync("src/data/imagenet-classes.json", "utf8");
    assert.equal(readFileSync(out, "utf8"), committed);
  },
);
