import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { temporaryRoot } from "./fixture.js";
import { assignBatch, type AssignOptions } from "../../src/verify/queue.js";
import { submitBatch } from "../../src/verify/submit.js";
import { openStore, writeGold } from "../../src/verify/store.js";
import { ensureAnnotator } from "../../src/verify/tokens.js";

async function freshStore() {
  const db = openStore(join(await temporaryRoot("d3s-verify-queue-"), "verify.sqlite"));
  for (const name of ["a", "b", "c"]) ensureAnnotator(db, name, "web");
  return db;
}

const queue = Array.from({ length: 10 }, (_, i) => `img-${i}`);

function answerAll(imageIds: string[]) {
  return imageIds.map((imageId) => ({ imageId, present: true, unsafe: false }));
}

test("batch reservations respect vote count", async () => {
  const db = await freshStore();
  const options: AssignOptions = { votes: 2, goldPerBatch: 0, reserveMinutes: 60, batchSize: 4, now: 1_000_000 };
  const first = assignBatch(db, queue, "a", options);
  assert.deepEqual(first?.imageIds.sort(), ["img-0", "img-1", "img-2", "img-3"]);
  assert.equal(assignBatch(db, queue, "a", options)?.id, first?.id, "reloading returns the open batch");
  // With 2 votes per image, b may take the same 4 images; c must move on to the next 4.
  assert.deepEqual(assignBatch(db, queue, "b", options)?.imageIds.sort(), ["img-0", "img-1", "img-2", "img-3"]);
  assert.deepEqual(assignBatch(db, queue, "c", options)?.imageIds.sort(), ["img-4", "img-5", "img-6", "img-7"]);
  db.close();
});

test("expired reservations free images", async () => {
  const db = await freshStore();
  const options: AssignOptions = { votes: 1, goldPerBatch: 0, reserveMinutes: 1, batchSize: 10, now: 0 };
  const stale = assignBatch(db, queue, "a", options);
  assert.equal(stale?.imageIds.length, 10);
  assert.equal(assignBatch(db, queue, "b", { ...options, now: 30_000 }), undefined, "all 10 reserved by a");
  // 61 s later a's batch has expired, so b gets all 10 images.
  assert.equal(assignBatch(db, queue, "b", { ...options, now: 61_000 })?.imageIds.length, 10);
  db.close();
});

test("annotator never sees image twice", async () => {
  const db = await freshStore();
  const options: AssignOptions = { votes: 3, goldPerBatch: 0, reserveMinutes: 60, batchSize: 6 };
  const first = assignBatch(db, queue, "a", options);
  assert.ok(first !== undefined);
  submitBatch(db, "a", { batchId: first.id, answers: answerAll(first.imageIds) });
  const second = assignBatch(db, queue, "a", options);
  assert.deepEqual(second?.imageIds.sort(), ["img-6", "img-7", "img-8", "img-9"]);
  assert.ok(second !== undefined);
  submitBatch(db, "a", { batchId: second.id, answers: answerAll(second.imageIds) });
  assert.equal(assignBatch(db, queue, "a", options), undefined, "a has voted on every image");
  db.close();
});

test("gold mixed into each batch", async () => {
  const db = await freshStore();
  writeGold(db, [
    { imageId: "img-0", present: true, unsafe: false },
    { imageId: "img-1", present: false, unsafe: false },
  ]);
  const options: AssignOptions = { votes: 1, goldPerBatch: 2, reserveMinutes: 60, batchSize: 5 };
  const first = assignBatch(db, queue, "a", options);
  assert.ok(first !== undefined);
  assert.ok(first.imageIds.includes("img-0"));
  assert.ok(first.imageIds.includes("img-1"));
  assert.equal(first.imageIds.length, 5, "2 gold + 3 regular");
  // Gold images do not use up votes: b also gets both, although votes is 1.
  const other = assignBatch(db, queue, "b", options);
  assert.ok(other?.imageIds.includes("img-0"));
  assert.ok(other?.imageIds.includes("img-1"));
  const result = submitBatch(db, "a", {
    batchId: first.id,
    answers: first.imageIds.map((imageId) => ({ imageId, present: true, unsafe: false })),
  });
  assert.deepEqual(result.gold, { seen: 2, correct: 1 }, "img-1 is truly absent");
  db.close();
});

test("submission must cover batch exactly", async () => {
  const db = await freshStore();
  const options: AssignOptions = { votes: 1, goldPerBatch: 0, reserveMinutes: 60, batchSize: 3 };
  const batch = assignBatch(db, queue, "a", options);
  assert.ok(batch !== undefined);
  const answers = answerAll(batch.imageIds);
  assert.throws(() => submitBatch(db, "a", { batchId: batch.id, answers: answers.slice(1) }), /has 3 images but 2 were answered/);
  assert.throws(() => submitBatch(db, "a", { batchId: batch.id, answers: [...answers, answers[0]] }), /answered twice/);
  assert.throws(
    () => submitBatch(db, "a", { batchId: batch.id, answers: [...answers.slice(1), { imageId: "img-9", present: true, unsafe: false }] }),
    /img-9 is not in batch/,
  );
  assert.throws(() => submitBatch(db, "b", { batchId: batch.id, answers }), /not assigned to this annotator/);
  const count = db.prepare("SELECT COUNT(*) AS n FROM votes").get() as { n: number };
  assert.equal(count.n, 0, "rejected submissions store nothing");
  db.close();
});
