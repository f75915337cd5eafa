import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { imagenetClasses } from "../../src/data/imagenet.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { launchBrowser } from "../verify/browser.js";
import { BLUE, GREEN, RED, writeColourClassifier, writeD3sSplit, writeFlatJpeg } from "./fixtures.js";
import { temporaryFolder } from "../support/temporary.js";

const CHROMIUM = process.env.D3S_CHROMIUM ?? "/usr/bin/chromium";

test("report heatmap opens cell images", { skip: existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}` }, async () => {
  const root = await temporaryFolder("d3s-evaluate-report-");
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

test("heatmap draws every grid cell", { skip: existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}` }, async () => {
  const root = await temporaryFolder("d3s-evaluate-grid-");
  const model = join(root, "colour.onnx");
  await writeColourClassifier(model);
  // Rows: classes 10 and 20; columns: grass and snow. Class 10 on snow is 1 of 1 right (100%),
  // class 20 on snow is 0 of 1 right (a blue image predicts 30), and class 20 on grass is 1 of 1.
  // Class 10 on grass has no images.
  const dataset = await writeD3sSplit(join(root, "data"), [
    { colour: RED, label: 10, background: "in snow" },
    { colour: BLUE, label: 20, background: "in snow" },
    { colour: GREEN, label: 20, background: "on grass" },
  ]);
  const out = join(root, "out");
  await evaluate({ dataset, models: [model], out, workers: 1, resamples: 20 });

  const { context, close } = await launchBrowser();
  try {
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(out, "report.html")).href);
    const panel = page.locator('.panel[data-model="0"]');
    // A 2 x 2 grid draws 4 cells, one of them empty.
    assert.equal(await panel.locator("rect.cell").count(), 4);
    const empty = panel.locator('rect.cell.empty[data-cell="m0:0:0"]');
    assert.equal(await empty.count(), 1);
    // Rows are named "<ImageNet name> (<index>)", as the report's label names are.
    const className = `${imagenetClasses()[10].name} (10)`;
    assert.equal(await empty.locator("title").textContent(), `${className}, grass: no images`);
    assert.match((await empty.getAttribute("fill")) ?? "", /^url\(#hatch-m0\)$/);

    // The 0% cell takes the dark end of viridis (#440154), far from the white page, and has a border.
    const zero = panel.locator('rect.cell[data-cell="m0:1:1"]');
    assert.equal(await zero.getAttribute("fill"), "rgb(68,1,84)");
    assert.ok(await zero.getAttribute("stroke"), "0% cell has no border");
    assert.equal(await panel.locator('rect.cell[data-cell="m0:0:1"]').getAttribute("fill"), "rgb(253,231,37)");

    // The legend names the scale's endpoints and the empty-cell swatch.
    const legend = await panel.locator("g.legend").textContent();
    assert.match(legend ?? "", /0%/);
    assert.match(legend ?? "", /100%/);
    assert.match(legend ?? "", /no images/);

    // Clicking the empty cell says so; clicking a full cell still lists its image.
    await empty.click();
    assert.equal(await page.locator("#cell-images p").textContent(), "No images in this cell.");
    await page.locator('rect[data-cell="m0:1:1"]').click();
    assert.equal(await page.locator("#cell-images img").count(), 1);
    assert.equal(await page.locator("#cell-images .wrong").count(), 1);
  } finally {
    await close();
  }
});

