import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { BLUE, GREEN, RED, writeColourClassifier, writeD3sSplit, writeFlatJpeg } from "./fixtures.js";

const CHROMIUM = process.env.D3S_CHROMIUM ?? "/usr/bin/chromium";

test("report heatmap opens cell images", { skip: existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}` }, async () => {
  const root = await mkdtemp(join(tmpdir(), "d3s-evaluate-report-"));
  const first = join(root, "first.onnx");
  const second = join(root, "second.onnx");
  await writeColourClassifier(first);
  await writeColourClassifier(second);
  // Two images of class 10 on snow: red (right) and blue (wrong for both models).
  const dataset = await writeD3sSplit(join(root, "data"), [
    { colour: RED, label: 10, background: "in snow" },
    { colour: BLUE, label: 10, background: "in snow" },
    { colour: GREEN, label: 20, background: "on grass" },
  ]);
  await writeFlatJpeg(join(root, "reference", "10", "a.jpg"), RED);
  const out = join(root, "out");
  await evaluate({ dataset, reference: join(root, "reference"), models: [first, second], out, workers: 1, resamples: 50 });

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--allow-file-access-from-files"] });
  try {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(join(out, "report.html")).href);
    // Two models x (top-1, top-5) drop bars, each with an error bar.
    assert.equal(await page.locator("line.error-bar").count(), 4);
    // The class-10/snow cell of the first model lists its two images, loaded by relative path.
    await page.locator('rect[data-cell="m0:0:1"]').click();
    const images = page.locator("#cell-images img");
    assert.equal(await images.count(), 2);
    await page.waitForFunction(() => [...document.querySelectorAll("#cell-images img")].every((img) => (img as HTMLImageElement).naturalWidth > 0));
    assert.equal(await page.locator("#cell-images .wrong").count(), 1);
    // Switching the model shows the second heatmap.
    await page.selectOption("#model-select", "1");
    assert.equal(await page.locator('.panel[data-model="1"]').isVisible(), true);
    // The blue image is wrong for both models.
    assert.match(await page.content(), /every model gets wrong \(top-1, full\): 1\./);
  } finally {
    await browser.close();
  }
});
