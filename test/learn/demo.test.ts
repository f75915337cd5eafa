import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { runDemo } from "../../src/learn/demo.js";
import type { DemoResults } from "../../src/learn/demo-results.js";

const CHROMIUM = process.env.D3S_CHROMIUM ?? "/usr/bin/chromium";

test("quick demo writes report and results", async () => {
  const out = await mkdtemp(join(tmpdir(), "d3s-demo-"));
  try {
    const returned = await runDemo({ out, quick: true });
    const results = JSON.parse(await readFile(join(out, "results.json"), "utf8")) as DemoResults;

    // The quick preset: 30 / 10 / 20 / 9 items per class over 10 classes.
    assert.deepEqual(results.dataset.splitSizes, {
      train: 300,
      val: 100,
      correlated: 200,
      anti: 90,
    });
    assert.equal(results.dataset.imageSize, 32);
    for (const model of ["penalised", "unpenalised"] as const) {
      assert.equal(results.probes[model].length, 4);
      for (const probe of results.probes[model]) {
        assert.ok(probe.top1 >= 0, `${model} ${probe.features}->${probe.target}`);
        assert.ok(probe.top1 <= 1, `${model} ${probe.features}->${probe.target}`);
        assert.equal(probe.chanceTop1, 0.1);
      }
      // 60 steps logged every 5: 12 history rows.
      assert.equal(results.training[model].history.length, 12);
    }
    // The critic is only active for the penalised model, after its 30 plain steps.
    assert.ok(results.training.penalised.history.at(-1)?.criticFg !== null);
    assert.equal(results.training.unpenalised.history.at(-1)?.criticFg, null);
    // 2 models x 2 heads at the demo correlation, and at each of the 2 sweep correlations.
    assert.equal(results.spurious.length, 4);
    assert.equal(results.sweep.length, 8);
    assert.deepEqual([...new Set(results.sweep.map((r) => r.correlation))], [0.5, 0.95]);
    assert.equal(results.expectations.length, 8);
    assert.ok(results.timings.total > 0);
    assert.equal(returned.createdAt, results.createdAt);
    // The anti-correlated split never puts a class on its paired background, so those groups
    // are empty: NaN in memory, null in JSON.
    for (const r of results.spurious) {
      r.anti.groups.forEach((row, fg) =>
        assert.equal(row[fg], null, `class ${fg} on its paired background`),
      );
    }

    const report = await readFile(join(out, "report.html"), "utf8");
    for (const heading of [
      "Summary",
      "Linear probes",
      "Spurious correlation benchmark",
      "Correlation sweep",
    ]) {
      assert.ok(report.includes(`<h2>${heading}</h2>`), heading);
    }
    assert.ok(!report.includes("<script"));
    assert.ok(report.includes("data:image/png;base64,"));
    assert.ok(existsSync(join(out, "models", "penalised", "model.json")));

    if (existsSync(CHROMIUM)) {
      const browser = await chromium.launch({ executablePath: CHROMIUM });
      try {
        const page = await browser.newPage();
        await page.goto(`file://${join(out, "report.html")}`);
        // Charts: 2 loss curves, probe bars, per-background bars, 2 heatmaps, 2 sweep curves.
        assert.equal(await page.locator("svg").count(), 8);
        // Probe bars: 4 probes x 2 models.
        assert.equal(await page.locator("svg").nth(2).locator("rect.mark").count(), 8);
        // Each heatmap has 10 classes x 10 backgrounds.
        assert.equal(await page.locator("svg").nth(4).locator("rect.mark").count(), 100);
      } finally {
        await browser.close();
      }
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test("demo rejects invalid correlation", () => {
  const result = spawnSync(
    process.execPath,
    ["bin/d3s.js", "demo", "--quick", "--correlation", "1.5"],
    {
      encoding: "utf8",
    },
  );
  assert.equal(result.status, 2);
  assert.match(result.stderr, /correlation/);
});
