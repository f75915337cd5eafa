import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeDataset } from "./fixture.js";
import { ScreenOptions, screenDataset } from "../../src/verify/screen/run.js";
import { openStore, readScreen } from "../../src/verify/store.js";
import { queueOrder } from "../../src/verify/queue.js";
import { ScreenThresholds } from "../../src/verify/options.js";
import { ConsolidateOptions, consolidate } from "../../src/verify/consolidate.js";
import { ensureAnnotator } from "../../src/verify/tokens.js";
import { writeTinyClip } from "./tiny-clip.js";
import sharp from "sharp";

function solid(r: number, g: number, b: number): Promise<Buffer> {
  return sharp({ create: { width: 32, height: 32, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

// Photos from Debian's darknet package (MIT): an ordinary dog photo and a horse photo.
const PHOTOS = ["/usr/share/darknet/data/dog.jpg", "/usr/share/darknet/data/horses.jpg"];

test("nsfw screen scores real photos", async () => {
  // 1. Replace the first two fixture images with real photos and break the third one.
  const fixture = await makeDataset({ count: 4, guides: false });
  await copyFile(PHOTOS[0], join(fixture.splitDir, "background-shift/img-000.png"));
  await copyFile(PHOTOS[1], join(fixture.splitDir, "background-shift/img-001.png"));
  await writeFile(join(fixture.splitDir, "background-shift/img-002.png"), "not an image");

  // 2. Score; the broken file is skipped and reported, the others get scores.
  const result = await screenDataset(ScreenOptions.parse({ data: fixture.splitDir }));
  assert.equal(result.scored, 3);
  assert.deepEqual(result.failed.map((failure) => failure.imageId), ["img-002"]);
  assert.match(result.model, /^nsfwjs@\d+\.\d+\.\d+\/mobilenet_v2$/);
  const db = openStore(join(fixture.splitDir, "verify.sqlite"));
  const scores = readScreen(db, "nsfw");
  for (const [imageId, score] of scores) assert.ok(score >= 0 && score <= 1, `${imageId}: ${score}`);
  // Ordinary animal photos score far below 0.5 (a reference run gave 0.015 and 0.001).
  assert.ok((scores.get("img-000") ?? 1) < 0.1, `dog photo scored ${scores.get("img-000")}`);
  assert.ok((scores.get("img-001") ?? 1) < 0.1, `horse photo scored ${scores.get("img-001")}`);

  // 3. The queue puts a high score first and --skip-clear drops it.
  db.prepare("UPDATE screens SET score = 0.97 WHERE image_id = 'img-003'").run();
  const thresholds = ScreenThresholds.parse({});
  const ids = ["img-000", "img-001", "img-002", "img-003"];
  assert.equal(queueOrder(db, ids, { ...thresholds, order: "likely-failure", skipClear: false })[0], "img-003");
  assert.deepEqual(queueOrder(db, ids, { ...thresholds, order: "dataset", skipClear: true }), ["img-000", "img-001", "img-002"]);
  db.close();
});

test("clip screen scores class prompts", async () => {
  // 1. Fixture classes alternate goldfish (even ids) and golden retriever (odd ids). The oracle
  //    CLIP ties goldfish to red and golden retriever to blue; img-002 and img-003 get the
  //    wrong colour for their class.
  const fixture = await makeDataset({ count: 4, guides: false });
  const colours: [number, number, number][] = [[255, 0, 0], [0, 0, 255], [0, 0, 255], [255, 0, 0]];
  for (const [i, colour] of colours.entries()) {
    await writeFile(join(fixture.splitDir, `background-shift/img-00${i}.png`), await solid(...colour));
  }
  const clipDir = join(fixture.root, "clip");
  await writeTinyClip(clipDir, "goldfish", "golden retriever");
  const result = await screenDataset(ScreenOptions.parse({ data: fixture.splitDir, clip: clipDir, threads: 1 }));
  assert.equal(result.clipScored, 4);

  // 2. Closed form: red normalises to (1.9303, -1.7521, -1.4802), cosine with (1, 0, 0) is
  //    0.6439 and with (0, 0, 1) is -0.4938; blue gives (-1.7923, -1.7521, 2.1459), cosine
  //    0.6504 with (0, 0, 1) and -0.5432 with (1, 0, 0).
  const db = openStore(join(fixture.splitDir, "verify.sqlite"));
  const scores = readScreen(db, "clip");
  const expected = new Map([["img-000", 0.6439], ["img-001", 0.6504], ["img-002", -0.5432], ["img-003", -0.4938]]);
  for (const [imageId, value] of expected) {
    assert.ok(Math.abs((scores.get(imageId) ?? Number.NaN) - value) < 2e-3, `${imageId}: ${scores.get(imageId)} vs ${value}`);
  }

  // 3. People say img-002 and img-003 lack their object; at threshold 0.2 CLIP flags exactly
  //    those two, so precision and recall are both 1.
  const insert = db.prepare(
    "INSERT INTO votes (image_id, annotator_id, present, unsafe, batch_id, source, created_at) VALUES (?, 'a', ?, 0, 'b', 'web', 0)",
  );
  ensureAnnotator(db, "a", "web");
  for (const [i, present] of [1, 1, 0, 0].entries()) insert.run(`img-00${i}`, present);
  db.close();
  const report = await consolidate(ConsolidateOptions.parse({ data: fixture.splitDir, votes: 1 }));
  const clip = report.screens.find((screen) => screen.screen === "clip");
  assert.equal(clip?.truePositives, 2);
  assert.equal(clip?.precision, 1);
  assert.equal(clip?.recall, 1);
});
