import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeDataset } from "./fixture.js";
import { fleissKappa } from "../../src/verify/fleiss.js";
import { dawidSkene } from "../../src/verify/dawid-skene.js";
import { decideImages, type AcceptRule } from "../../src/verify/rules.js";
import { ConsolidateOptions, consolidate } from "../../src/verify/consolidate.js";
import { openStore, writeGold, writeScreen, type GoldAnswer, type Vote } from "../../src/verify/store.js";
import { ensureAnnotator } from "../../src/verify/tokens.js";

test("Fleiss kappa worked example", () => {
  // The classic worked example: 10 subjects, 14 raters, 5 categories.
  // Recomputed by hand: column totals 20, 28, 39, 21, 32 of 140 give P_e = 0.21276; the row
  // agreements P_i average to P = 0.37802; kappa = (0.37802 - 0.21276) / (1 - 0.21276) = 0.20993.
  const table = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
  ];
  assert.ok(Math.abs(fleissKappa(table) - 0.20993) < 1e-5, String(fleissKappa(table)));
});

test("Fleiss kappa edge cases", () => {
  // Perfect agreement on two categories: P = 1, P_e = 0.5, kappa = 1.
  assert.equal(fleissKappa([[5, 0], [0, 5]]), 1);
  // Every rating in one category: P_e = 1, kappa is undefined.
  assert.ok(Number.isNaN(fleissKappa([[5, 0], [5, 0]])));
  // Items with one rater are skipped: only the [2, 0] and [0, 2] items count, kappa = 1.
  assert.equal(fleissKappa([[2, 0], [0, 2], [1, 0]]), 1);
});

function votesFor(imageId: string, present: boolean[], unsafe: boolean[] = []): Vote[] {
  return present.map((value, i) => ({ imageId, annotatorId: `a${i}`, present: value, unsafe: unsafe[i] ?? false }));
}

test("accept rules on case table", () => {
  const Y = true;
  const N = false;
  const cases: { name: string; present: boolean[]; unsafe?: boolean[]; rule: AcceptRule; status: string }[] = [
    { name: "5 of 5 present", present: [Y, Y, Y, Y, Y], rule: "unanimous", status: "accepted" },
    { name: "4 of 5 present", present: [Y, Y, Y, Y, N], rule: "unanimous", status: "rejected" },
    { name: "4 of 5 present", present: [Y, Y, Y, Y, N], rule: "majority", status: "accepted" },
    { name: "3 of 5 present", present: [Y, Y, Y, N, N], rule: "majority", status: "accepted" },
    { name: "2 of 5 present", present: [Y, Y, N, N, N], rule: "majority", status: "rejected" },
    { name: "3 of 6 present (tie)", present: [Y, Y, Y, N, N, N], rule: "majority", status: "rejected" },
    { name: "one flag", present: [Y, Y, Y, Y, Y], unsafe: [N, N, Y, N, N], rule: "unanimous", status: "rejected" },
    { name: "one flag", present: [Y, Y, Y, Y, Y], unsafe: [N, N, Y, N, N], rule: "majority", status: "rejected" },
    { name: "4 votes", present: [Y, Y, Y, Y], rule: "unanimous", status: "pending" },
    { name: "6 votes, one absent", present: [Y, Y, Y, Y, Y, N], rule: "unanimous", status: "rejected" },
  ];
  for (const c of cases) {
    const [decision] = decideImages(["x"], votesFor("x", c.present, c.unsafe), new Map(), {
      rule: c.rule,
      votes: 5,
      maxUnsafeFlags: 0,
    });
    assert.equal(decision.status, c.status, `${c.rule}: ${c.name}`);
  }
  const [flagAllowed] = decideImages(["x"], votesFor("x", [Y, Y, Y, Y, Y], [Y, N, N, N, N]), new Map(), {
    rule: "unanimous",
    votes: 5,
    maxUnsafeFlags: 1,
  });
  assert.equal(flagAllowed.status, "accepted", "--max-unsafe-flags 1 allows one flag");
  const gold = new Map<string, GoldAnswer>([["g", { imageId: "g", present: false, unsafe: false }]]);
  const [goldDecision] = decideImages(["g"], votesFor("g", [Y, Y, Y, Y, Y]), gold, { rule: "unanimous", votes: 5, maxUnsafeFlags: 0 });
  assert.equal(goldDecision.status, "rejected", "gold images keep their known answer");
  const [screened] = decideImages(["s"], [], new Map(), { rule: "unanimous", votes: 5, maxUnsafeFlags: 0, screenedOut: new Set(["s"]) });
  assert.equal(screened.status, "rejected");
  assert.equal(screened.reason, "screened");
});

test("Dawid-Skene discounts always-yes annotators", () => {
  // 20 items, the even ones truly present. Annotators g0 and g1 answer correctly; s0-s2 always
  // say yes. Majority (3 of 5 yes on absent items) accepts everything, while EM learns that the
  // spammers' yes carries no information (specificity near 0) and follows g0 and g1.
  const votes: Vote[] = [];
  const truth = new Map<string, boolean>();
  for (let i = 0; i < 20; i++) {
    const imageId = `i${i}`;
    truth.set(imageId, i % 2 === 0);
    for (const annotatorId of ["g0", "g1"]) votes.push({ imageId, annotatorId, present: i % 2 === 0, unsafe: false });
    for (const annotatorId of ["s0", "s1", "s2"]) votes.push({ imageId, annotatorId, present: true, unsafe: false });
  }
  const ids = [...truth.keys()];
  const options = { votes: 5, maxUnsafeFlags: 0 };
  const majority = decideImages(ids, votes, new Map(), { ...options, rule: "majority" });
  assert.equal(majority.filter((d) => d.status === "accepted").length, 20);
  const em = decideImages(ids, votes, new Map(), { ...options, rule: "dawid-skene" });
  for (const decision of em) {
    assert.equal(decision.status === "accepted", truth.get(decision.imageId), decision.imageId);
  }
  const result = dawidSkene(votes.map((v) => ({ item: v.imageId, annotator: v.annotatorId, value: v.present })));
  assert.ok((result.annotators.get("s0")?.specificity ?? 1) < 0.2, "spammer specificity is near 0");
  assert.ok((result.annotators.get("g0")?.specificity ?? 0) > 0.8, "good annotator specificity is near 1");
});

test("Dawid-Skene first round by hand", () => {
  // Items i1 (a yes, b yes) and i2 (a yes, b no); start posteriors are the yes shares 1 and 0.5.
  // M step with add-one counts (1 of 2 on each side): a has sensitivity (1 + 1 + 0.5) / (2 + 1.5)
  // = 5/7 and specificity (1 + 0) / (2 + 0.5) = 0.4; b has (1 + 1) / 3.5 = 4/7 and
  // (1 + 0.5) / 2.5 = 0.6; the prior is (1 + 1.5) / (2 + 2) = 0.625. E step:
  // i1 = 0.625 * 5/7 * 4/7 / (that + 0.375 * 0.6 * 0.4) = 0.7392076 and
  // i2 = 0.625 * 5/7 * 3/7 / (that + 0.375 * 0.6 * 0.6) = 0.5863039.
  const labels = [
    { item: "i1", annotator: "a", value: true },
    { item: "i1", annotator: "b", value: true },
    { item: "i2", annotator: "a", value: true },
    { item: "i2", annotator: "b", value: false },
  ];
  const round = dawidSkene(labels, { maxIterations: 1 });
  assert.equal(round.iterations, 1);
  assert.ok(Math.abs((round.posterior.get("i1") ?? 0) - 0.7392076) < 1e-6, String(round.posterior.get("i1")));
  assert.ok(Math.abs((round.posterior.get("i2") ?? 0) - 0.5863039) < 1e-6, String(round.posterior.get("i2")));
  assert.ok(Math.abs(round.prior - 0.625) < 1e-12);
  assert.ok(Math.abs((round.annotators.get("b")?.specificity ?? 0) - 0.6) < 1e-12);
  // A gold item keeps its known label whatever the votes say.
  const fixed = dawidSkene(labels, { known: new Map([["i1", false]]) });
  assert.equal(fixed.posterior.get("i1"), 0);
});

test("consolidate writes filtered metadata beside original", async () => {
  const fixture = await makeDataset({ count: 6, guides: false });
  const db = openStore(join(fixture.splitDir, "verify.sqlite"));
  const insert = db.prepare(
    "INSERT INTO votes (image_id, annotator_id, present, unsafe, batch_id, source, created_at) VALUES (?, ?, ?, ?, 'b', 'web', 0)",
  );
  for (const name of ["a0", "a1", "a2", "bad"]) ensureAnnotator(db, name, "web");
  // img-000, img-001: 3 yes (accepted with --votes 3); img-002: one no; img-003: one flag;
  // img-004: 2 votes (pending); img-005 is gold (present), answered wrongly by "bad".
  const plan: [string, string, number, number][] = [
    ["img-000", "a0", 1, 0], ["img-000", "a1", 1, 0], ["img-000", "a2", 1, 0],
    ["img-001", "a0", 1, 0], ["img-001", "a1", 1, 0], ["img-001", "a2", 1, 0],
    ["img-002", "a0", 1, 0], ["img-002", "a1", 0, 0], ["img-002", "a2", 1, 0],
    ["img-003", "a0", 1, 0], ["img-003", "a1", 1, 1], ["img-003", "a2", 1, 0],
    ["img-004", "a0", 1, 0], ["img-004", "a1", 1, 0],
    ["img-005", "a0", 1, 0], ["img-005", "bad", 0, 0],
  ];
  for (const [imageId, annotator, present, unsafe] of plan) insert.run(imageId, annotator, present, unsafe);
  writeGold(db, [{ imageId: "img-005", present: true, unsafe: false }]);
  // NSFW scores: img-003 (flagged by a person) and img-002 (not flagged) score high.
  writeScreen(db, "nsfw", "test", new Map([["img-000", 0.01], ["img-001", 0.02], ["img-002", 0.9], ["img-003", 0.8]]));
  db.close();
  const original = await readFile(join(fixture.splitDir, "metadata.json"), "utf8");
  const jsonl = fixture.entries.map((entry) => `${JSON.stringify({ file_name: entry.image, label: entry.classIdx })}\n`);
  await writeFile(join(fixture.splitDir, "metadata.jsonl"), jsonl.join(""));

  const report = await consolidate(
    ConsolidateOptions.parse({ data: fixture.splitDir, votes: 3, minGoldAccuracy: 0.5 }),
  );
  assert.equal(report.accepted, 3, "img-000, img-001 and gold img-005");
  assert.equal(report.rejected, 2, "img-002 (one no) and img-003 (one flag)");
  assert.equal(report.pending, 1, "img-004 has 2 of 3 votes");
  assert.equal(report.acceptanceRate, 3 / 5);
  const bad = report.annotators.find((a) => a.annotator === "bad");
  assert.deepEqual({ seen: bad?.seen, correct: bad?.correct, excluded: bad?.excluded }, { seen: 1, correct: 0, excluded: true });
  // NSFW at 0.5 flags img-002 and img-003; people flagged img-003 only: precision 1/2, recall 1/1.
  const nsfw = report.screens.find((screen) => screen.screen === "nsfw");
  assert.equal(nsfw?.precision, 0.5);
  assert.equal(nsfw?.recall, 1);

  const filtered = JSON.parse(await readFile(join(fixture.splitDir, "metadata.verified.json"), "utf8")) as { id: string }[];
  assert.deepEqual(filtered.map((entry) => entry.id), ["img-000", "img-001", "img-005"]);
  assert.equal(await readFile(join(fixture.splitDir, "metadata.json"), "utf8"), original, "original untouched");
  const filteredJsonl = (await readFile(join(fixture.splitDir, "metadata.verified.jsonl"), "utf8")).trim().split("\n");
  assert.deepEqual(
    filteredJsonl.map((line) => JSON.parse(line).file_name),
    ["background-shift/img-000.png", "background-shift/img-001.png", "background-shift/img-005.png"],
  );
  const html = await readFile(join(fixture.splitDir, "verify-report.html"), "utf8");
  assert.match(html, /Gold accuracy per annotator/);
  // Every fixture image is in "background-shift": 3 accepted, 2 rejected, 1 pending.
  assert.deepEqual(report.shifts, [{ shift: "background-shift", accepted: 3, rejected: 2, pending: 1, acceptanceRate: 3 / 5 }]);
  assert.match(html, /Acceptance rate per shift/);
  const listed = [...html.matchAll(/<td>(img-\d+)<\/td>/g)].map((match) => match[1]);
  assert.deepEqual(listed, ["img-002", "img-003", "img-004"], "rejected and pending images listed");
  const json = JSON.parse(await readFile(join(fixture.splitDir, "verify-report.json"), "utf8"));
  assert.equal(json.accepted, 3);
  const leftovers = (await readdir(fixture.splitDir)).filter((name) => name.endsWith(".tmp"));
  assert.deepEqual(leftovers, []);

  // No output may replace an input: the metadata, its jsonl twin or the vote store.
  const clashes: [Record<string, string>, RegExp][] = [
    [{ out: join(fixture.splitDir, "metadata.json") }, /--out would overwrite .*metadata\.json/],
    [{ out: join(fixture.splitDir, "metadata.jsonl") }, /--out would overwrite .*metadata\.jsonl/],
    [{ report: join(fixture.splitDir, "metadata") }, /--report would overwrite .*metadata\.json/],
    [{ out: join(fixture.splitDir, "verify.sqlite-wal") }, /--out would overwrite .*verify\.sqlite-wal/],
    [{ out: join(fixture.root, "x.json"), report: join(fixture.root, "x") }, /both write .*x\.json/],
  ];
  for (const [flags, message] of clashes) {
    await assert.rejects(consolidate(ConsolidateOptions.parse({ data: fixture.splitDir, ...flags })), message);
  }
  assert.equal(await readFile(join(fixture.splitDir, "metadata.json"), "utf8"), original, "still untouched");
});
