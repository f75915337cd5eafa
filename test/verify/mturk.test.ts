import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { makeDataset, makeGeneratedSplit } from "./fixture.js";
import sharp from "sharp";
import { launchBrowser } from "./browser.js";
import { ExportOptions, exportMturk } from "../../src/verify/mturk/export.js";
import { ImportOptions, importMturk } from "../../src/verify/mturk/import.js";
import { openStore, writeGold } from "../../src/verify/store.js";

/** crowd-radio-button answers for every slot: object present, no flag, unless overridden. */
function taskAnswers(count: number, override: Record<string, unknown> = {}): string {
  const answer: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    answer[`present-${i}-yes`] = { yes: true };
    answer[`present-${i}-no`] = { no: false };
    answer[`unsafe-${i}-yes`] = { yes: false };
    answer[`unsafe-${i}-no`] = { no: true };
  }
  return JSON.stringify([{ ...answer, ...override }]);
}

test("export writes 25-image rows", async () => {
  const fixture = await makeDataset({ count: 30 });
  const db = openStore(join(fixture.splitDir, "verify.sqlite"));
  writeGold(db, [{ imageId: "img-000", present: true, unsafe: false }]);
  db.close();
  const out = join(fixture.root, "mturk");
  const result = await exportMturk(
    ExportOptions.parse({ data: fixture.splitDir, out, imageBaseUrl: "https://example.org/val", goldPerBatch: 1 }),
  );
  // 29 regular images at 24 per row (25 slots minus 1 gold) make 2 rows.
  assert.equal(result.images, 29);
  assert.equal(result.rows, 2);
  const rows = parse(await readFile(result.inputCsv), { columns: true }) as Record<string, string>[];
  const first = JSON.parse(rows[0].items) as string[];
  assert.equal(first.length, 25);
  assert.ok(first.includes("img-000"), "gold image mixed into the row");
  const slot = first.indexOf("img-002");
  assert.equal(rows[0][`image_url_${slot}`], "https://example.org/val/background-shift/img-002.png");
  assert.equal(rows[0][`guide_url_${slot}`], "https://example.org/val/background-shift/img-002.guide.png");
  assert.equal(rows[0][`class_name_${slot}`], "goldfish");
  assert.equal(JSON.parse(rows[1].items).length, 6, "5 remaining images plus 1 gold");
  assert.equal(rows[1].image_url_24, "", "unused slots are empty");
  const html = await readFile(result.hitHtml, "utf8");
  assert.match(html, /<crowd-form>/);
  assert.match(html, /name="present-24-yes"/);
  assert.match(html, /\$\{image_url_0\}/);
  assert.throws(
    () => ExportOptions.parse({ data: fixture.splitDir, out, imageBaseUrl: "http://example.org/" }),
    /MTurk shows only https images/,
  );
});

test("export crops save-init grid guides", async () => {
  const fixture = await makeGeneratedSplit(2, 24);
  const out = join(fixture.root, "mturk");
  const base = { data: fixture.splitDir, out, imageBaseUrl: "https://example.org/val/" };
  const without = await exportMturk(ExportOptions.parse(base));
  assert.equal(without.guidesOmitted, 2, "grids need --guide-base-url");
  const result = await exportMturk(ExportOptions.parse({ ...base, guideBaseUrl: "https://example.org/guides" }));
  assert.equal(result.guidesWritten, 2);
  const rows = parse(await readFile(result.inputCsv), { columns: true }) as Record<string, string>[];
  const ids = JSON.parse(rows[0].items) as string[];
  const slot = ids.indexOf(fixture.entries[0].id);
  assert.equal(rows[0][`guide_url_${slot}`], `https://example.org/guides/${fixture.entries[0].id}.png`);
  assert.equal(rows[0][`image_url_${slot}`], `https://example.org/val/${fixture.entries[0].id}.png`);
  const cropped = await sharp(join(out, "guides", `${fixture.entries[0].id}.png`)).metadata();
  assert.deepEqual([cropped.width, cropped.height], [24, 24]);
});

test("HIT page drops empty slots", async () => {
  // MTurk replaces each ${column} with the row's value; do the same for a row of 3 images.
  const fixture = await makeDataset({ count: 3 });
  const out = join(fixture.root, "mturk");
  const result = await exportMturk(
    ExportOptions.parse({ data: fixture.splitDir, out, imageBaseUrl: "https://example.org/val/", goldPerBatch: 0 }),
  );
  const [row] = parse(await readFile(result.inputCsv), { columns: true }) as Record<string, string>[];
  const filled = (await readFile(result.hitHtml, "utf8")).replace(/\$\{(\w+)\}/g, (_, column: string) => row[column] ?? "");
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    // Offline: the crowd-html-elements script and the example.org images fail to load at once.
    await page.route("**/*", (route) => route.abort());
    await page.setContent(filled);
    assert.equal(await page.locator("section.item").count(), 3, "22 empty slots removed");
    assert.equal(await page.locator("crowd-radio-button").count(), 12, "2 questions x 2 buttons x 3 images");
    // img-001 has no guide (the fixture writes guides for even images only).
    const slot = (JSON.parse(row.items) as string[]).indexOf("img-001");
    const text = await page.locator("section.item").nth(slot).textContent();
    assert.match(text ?? "", /No guide image/);
  } finally {
    await browser.close();
  }
});

test("import handles BOM, quotes and newlines", async () => {
  const fixture = await makeDataset({ count: 3 });
  const items = JSON.stringify(["img-000", "img-001", "img-002"]);
  // A feedback cell with a comma, quotes and a newline; the third worker flags img-002 with a
  // plain-input answer ("unsafe-2": "yes") instead of crowd-radio-button objects.
  const feedback = { ...JSON.parse(taskAnswers(3))[0], feedback: 'looks "fine",\nthanks' };
  const rows = [
    { HITId: "H1", AssignmentId: "A1", WorkerId: "W1", AssignmentStatus: "Submitted", "Input.batch_id": "row-0", "Input.items": items, "Answer.taskAnswers": JSON.stringify([feedback]) },
    { HITId: "H1", AssignmentId: "A2", WorkerId: "W2", AssignmentStatus: "Approved", "Input.batch_id": "row-0", "Input.items": items, "Answer.taskAnswers": taskAnswers(3, { "present-1-yes": { yes: false }, "present-1-no": { no: true } }) },
    { HITId: "H1", AssignmentId: "A3", WorkerId: "W3", AssignmentStatus: "Submitted", "Input.batch_id": "row-0", "Input.items": items, "Answer.taskAnswers": taskAnswers(3, { "unsafe-2-yes": undefined, "unsafe-2-no": undefined, "unsafe-2": "yes" }) },
    { HITId: "H1", AssignmentId: "A4", WorkerId: "W4", AssignmentStatus: "Rejected", "Input.batch_id": "row-0", "Input.items": items, "Answer.taskAnswers": taskAnswers(3) },
  ];
  const path = join(fixture.root, "results.csv");
  await writeFile(path, `\uFEFF${stringify(rows, { header: true })}`);
  const options = ImportOptions.parse({ data: fixture.splitDir, results: path });
  const result = await importMturk(options);
  assert.deepEqual(result, { assignments: 3, votes: 9, alreadyImported: 0, skippedStatus: 1 });
  const again = await importMturk(options);
  assert.deepEqual(again, { assignments: 0, votes: 0, alreadyImported: 3, skippedStatus: 1 }, "re-import is a no-op");

  const db = openStore(join(fixture.splitDir, "verify.sqlite"));
  const votes = db.prepare("SELECT image_id, annotator_id, present, unsafe FROM votes ORDER BY annotator_id, image_id").all() as {
    image_id: string;
    annotator_id: string;
    present: number;
    unsafe: number;
  }[];
  db.close();
  assert.equal(votes.length, 9);
  const w2 = votes.find((vote) => vote.annotator_id === "mturk:W2" && vote.image_id === "img-001");
  assert.equal(w2?.present, 0);
  const w3 = votes.find((vote) => vote.annotator_id === "mturk:W3" && vote.image_id === "img-002");
  assert.equal(w3?.unsafe, 1);
});

test("malformed rows rejected with lines", async () => {
  const fixture = await makeDataset({ count: 2 });
  const items = JSON.stringify(["img-000", "img-001"]);
  const good = taskAnswers(2);
  // CRLF line ends, as a spreadsheet saves them. Line 1 header; line 2 good; lines 3-4 a good
  // row whose JSON cell spans two lines; line 5 has a bad WorkerId; line 6 names an image outside
  // the split; line 7 lacks an answer; lines 8-9 a bad WorkerId in a row spanning two lines
  // (reported at its first line); line 10 has an extra cell.
  const quoted = (value: string) => `"${value.replaceAll('"', '""')}"`;
  const csv = [
    "HITId,AssignmentId,WorkerId,AssignmentStatus,Input.items,Answer.taskAnswers",
    `H,A1,W1,Submitted,${quoted(items)},${quoted(good)}`,
    `H,A2,W2,Submitted,${quoted(items)},${quoted(good.replace("{", "{\r\n"))}`,
    `H,A3,W../3,Submitted,${quoted(items)},${quoted(good)}`,
    `H,A4,W4,Submitted,${quoted(JSON.stringify(["img-000", "../etc"]))},${quoted(good)}`,
    `H,A5,W5,Submitted,${quoted(items)},${quoted(taskAnswers(1))}`,
    `H,A6,W-6,Submitted,${quoted(items)},${quoted(good.replace("{", "{\r\n"))}`,
    `H,A7,W7,Submitted,${quoted(items)},${quoted(good)},extra`,
  ].join("\r\n");
  const path = join(fixture.root, "results.csv");
  await writeFile(path, csv);
  await assert.rejects(importMturk(ImportOptions.parse({ data: fixture.splitDir, results: path })), (error: Error) => {
    assert.match(error.message, /5 malformed rows, nothing imported/);
    const lines = [...error.message.matchAll(/line (\d+):/g)].map((match) => Number(match[1]));
    assert.deepEqual(lines, [5, 6, 7, 8, 10], error.message);
    assert.match(error.message, /line 5: WorkerId "W\.\.\/3"/);
    assert.match(error.message, /line 6: Input\.items is not a list of image ids/);
    assert.match(error.message, /line 7: answer present-1 is missing/);
    assert.match(error.message, /line 8: WorkerId "W-6"/);
    assert.match(error.message, /line 10: Invalid Record Length/);
    return true;
  });
  const db = openStore(join(fixture.splitDir, "verify.sqlite"));
  const count = db.prepare("SELECT COUNT(*) AS n FROM votes").get() as { n: number };
  db.close();
  assert.equal(count.n, 0, "nothing stored when any row is malformed");

  await writeFile(path, `${csv.split("\r\n").slice(0, 2).join("\r\n")}\r\nH,A9,"unterminated\r\n`);
  await assert.rejects(importMturk(ImportOptions.parse({ data: fixture.splitDir, results: path })), /not valid CSV \(line \d\)|malformed/);
});

test("one malformed row is singular", async () => {
  const fixture = await makeDataset({ count: 2 });
  const items = JSON.stringify(["img-000", "img-001"]);
  const quoted = (value: string) => `"${value.replaceAll('"', '""')}"`;
  // Line 2 is good; line 3 has a WorkerId with "-", which MTurk never issues.
  const csv = [
    "HITId,AssignmentId,WorkerId,AssignmentStatus,Input.items,Answer.taskAnswers",
    `H,A1,W1,Submitted,${quoted(items)},${quoted(taskAnswers(2))}`,
    `H,A2,W-2,Submitted,${quoted(items)},${quoted(taskAnswers(2))}`,
  ].join("\n");
  const path = join(fixture.root, "results.csv");
  await writeFile(path, csv);
  await assert.rejects(importMturk(ImportOptions.parse({ data: fixture.splitDir, results: path })), (error: Error) => {
    assert.match(error.message, /: 1 malformed row, nothing imported/);
    assert.match(error.message, /line 3: WorkerId "W-2"/);
    return true;
  });
});
