import { test } from "node:test";
import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { launchBrowser } from "./browser.js";
import { makeDataset } from "./fixture.js";
import { startVerifyServer } from "../../src/verify/serve.js";
import { ServeOptions } from "../../src/verify/options.js";
import { openStore } from "../../src/verify/store.js";
import { issueToken, revokeToken } from "../../src/verify/tokens.js";
import { annotatorAccuracy } from "../../src/verify/consolidate.js";

test("annotator completes batch by keyboard", async () => {
  // 1. A split of 30 images, two of them gold: img-000 shows its object, img-001 does not.
  const fixture = await makeDataset({ count: 30 });
  const goldPath = join(fixture.root, "gold.csv");
  await writeFile(goldPath, "id,present,unsafe\nimg-000,yes,no\nimg-001,no,no\n");
  const dbPath = join(fixture.splitDir, "verify.sqlite");
  const setup = openStore(dbPath);
  const token = issueToken(setup, "alice");
  setup.close();
  const server = await startVerifyServer(
    ServeOptions.parse({ data: fixture.splitDir, foregrounds: fixture.foregrounds, gold: goldPath, port: 0 }),
  );
  const browser = await launchBrowser();
  const db = openStore(dbPath);
  try {
    // 2. Open the token link; the page loads a batch of 25 (23 regular + 2 gold).
    const page = await browser.context.newPage();
    const batchResponse = page.waitForResponse((response) => response.url().endsWith("/api/batch"));
    await page.goto(`${server.url}#token=${token}`);
    await page.waitForSelector("#task:not([hidden])");
    // The batch tells the page nothing about which images are gold or what their answers are.
    const batchBody = (await (await batchResponse).json()) as { batch: { items: Record<string, unknown>[] } };
    for (const item of batchBody.batch.items) {
      assert.deepEqual(Object.keys(item).sort(), ["classIdx", "className", "definition", "exampleCount", "hasGuide", "imageId"]);
    }
    const batch = db
      .prepare("SELECT bi.image_id FROM batch_items bi JOIN batches b ON b.id = bi.batch_id WHERE b.annotator_id = 'alice' ORDER BY bi.position")
      .all() as { image_id: string }[];
    assert.equal(batch.length, 25);
    assert.ok(batch.some((row) => row.image_id === "img-000"), "gold img-000 is mixed in");
    assert.ok(batch.some((row) => row.image_id === "img-001"), "gold img-001 is mixed in");
    // The fixture alternates classes: even-numbered ids are goldfish, odd ones golden retrievers.
    const firstClass = Number(batch[0].image_id.slice(4)) % 2 === 0 ? "goldfish" : "golden retriever";
    assert.equal(await page.textContent("#class-name"), firstClass);
    // Both fixture example photos of the class load (decoded from the token-fetched blobs).
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>("#examples img")).filter((image) => image.naturalWidth === 16).length === 2,
    );
    assert.match((await page.textContent("#class-definition")) ?? "", /\w+/, "the WordNet definition is shown");

    // 3. The instructions panel opens with "?" and closes with its button.
    assert.equal(await page.isVisible("#instructions"), false);
    await page.keyboard.press("?");
    assert.equal(await page.isVisible("#instructions"), true);
    assert.match((await page.textContent("#instructions")) ?? "", /Is the object in the generated image\?/);
    await page.click("#help-toggle");
    assert.equal(await page.isVisible("#instructions"), false);

    // 4. Answer every image by keyboard: "n" for odd-numbered ids, "y" otherwise, so gold
    //    img-001 is answered correctly; img-000 is flagged with "f", so that gold answer is wrong.
    const expected = new Map<string, { present: boolean; unsafe: boolean }>();
    for (const { image_id: imageId } of batch) {
      await page.waitForFunction(
        (id) => (document.getElementById("generated-image") as HTMLImageElement).dataset.imageId === id,
        imageId,
      );
      const present = Number(imageId.slice(4)) % 2 === 0;
      const unsafe = imageId === "img-000" || imageId === "img-004";
      if (unsafe) await page.keyboard.press("f");
      await page.keyboard.press(present ? "y" : "n");
      expected.set(imageId, { present, unsafe });
    }
    assert.equal(await page.textContent("#progress-text"), "25 / 25");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#next-batch:not([hidden])");
    assert.match((await page.textContent("#status")) ?? "", /25 answers saved\. Check images: 1 of 2 correct/);

    // 5. The votes are in SQLite exactly as typed, and alice's gold accuracy is 1 of 2.
    const votes = db.prepare("SELECT image_id, present, unsafe FROM votes WHERE annotator_id = 'alice'").all() as {
      image_id: string;
      present: number;
      unsafe: number;
    }[];
    assert.equal(votes.length, 25);
    for (const vote of votes) {
      const want = expected.get(vote.image_id);
      assert.deepEqual({ present: vote.present === 1, unsafe: vote.unsafe === 1 }, want, vote.image_id);
    }
    const accuracy = annotatorAccuracy(
      votes.map((vote) => ({ imageId: vote.image_id, annotatorId: "alice", present: vote.present === 1, unsafe: vote.unsafe === 1 })),
      new Map([
        ["img-000", { imageId: "img-000", present: true, unsafe: false }],
        ["img-001", { imageId: "img-001", present: false, unsafe: false }],
      ]),
    );
    assert.deepEqual(accuracy.get("alice"), { seen: 2, correct: 1, accuracy: 0.5 });
  } finally {
    db.close();
    await browser.close();
    await server.close();
  }
});

test("missing image reported on page", async () => {
  // img-000's file (a goldfish) is deleted after metadata.json was written; img-001 (a golden
  // retriever) is fine. Moving from img-001 to img-000 must hide img-001's picture and name the
  // problem, and the batch can still be answered and submitted.
  const fixture = await makeDataset({ count: 2, guides: false });
  await rm(join(fixture.splitDir, fixture.entries[0].image));
  const dbPath = join(fixture.splitDir, "verify.sqlite");
  const setup = openStore(dbPath);
  const token = issueToken(setup, "alice");
  setup.close();
  const server = await startVerifyServer(ServeOptions.parse({ data: fixture.splitDir, port: 0, votes: 1 }));
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}#token=${token}`);
    await page.waitForSelector("#task:not([hidden])");
    const brokenFirst = (await page.textContent("#class-name")) === "goldfish";
    if (brokenFirst) await page.keyboard.press("ArrowRight");
    await page.waitForFunction(() => document.getElementById("generated-image")?.dataset.imageId === "img-001");
    assert.equal(await page.isVisible("#generated-image"), true);
    await page.keyboard.press(brokenFirst ? "ArrowLeft" : "ArrowRight");
    const expected = `Error: image ${brokenFirst ? 1 : 2} of 2: Image file is missing: ENOENT.`;
    await page.waitForFunction((text) => document.getElementById("status")?.textContent === text, expected);
    assert.equal(await page.textContent("#class-name"), "goldfish");
    assert.equal(await page.isVisible("#generated-image"), false, "img-001's picture is not left on screen");

    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("y");
    await page.keyboard.press("y");
    assert.equal(await page.textContent("#progress-text"), "2 / 2");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#next-batch:not([hidden])");
    assert.match((await page.textContent("#status")) ?? "", /2 answers saved/);
  } finally {
    await browser.close();
    await server.close();
  }
});

test("revoked link stops submission", async () => {
  // The token is revoked while alice answers: the submit is rejected at once (no retries) with
  // the server's reason, and nothing is stored.
  const fixture = await makeDataset({ count: 2, guides: false });
  const dbPath = join(fixture.splitDir, "verify.sqlite");
  const db = openStore(dbPath);
  const token = issueToken(db, "alice");
  const server = await startVerifyServer(ServeOptions.parse({ data: fixture.splitDir, port: 0, votes: 1 }));
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}#token=${token}`);
    await page.waitForSelector("#task:not([hidden])");
    // Let each image arrive before answering, so no image request races the revocation.
    const drawn = () => Boolean(document.getElementById("generated-image")?.dataset.imageId);
    await page.waitForFunction(drawn);
    await page.keyboard.press("y");
    await page.waitForFunction((text) => document.getElementById("item-position")?.textContent === text, "2 of 2");
    await page.waitForFunction(drawn);
    await page.keyboard.press("y");
    revokeToken(db, "alice");
    await page.keyboard.press("Enter");
    const expected = "The server rejected the batch: Invalid token: ask for a new link. Your answers are kept.";
    await page.waitForFunction((text) => document.getElementById("status")?.textContent === text, expected, { timeout: 2000 });
    // Late image loads must not wipe the message.
    await page.waitForTimeout(500);
    assert.equal(await page.textContent("#status"), expected);
    assert.equal(await page.textContent("#progress-text"), "2 / 2", "answers kept on the page");
    const votes = db.prepare("SELECT COUNT(*) AS n FROM votes").get() as { n: number };
    assert.equal(votes.n, 0);
  } finally {
    db.close();
    await browser.close();
    await server.close();
  }
});
