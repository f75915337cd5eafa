import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { barChart, heatmap, lineChart, niceTicks } from "../../src/report/charts.js";
import { escapeHtml, html, page, table } from "../../src/report/html.js";

const CHROMIUM = process.env.D3S_CHROMIUM ?? "/usr/bin/chromium";
let browser: Browser | undefined;

before(async () => {
  if (existsSync(CHROMIUM)) browser = await chromium.launch({ executablePath: CHROMIUM });
});

after(async () => {
  await browser?.close();
});

/** Parses markup as SVG in the real browser and returns the parser error (or "") and counts. */
async function parseSvg(
  markup: string,
): Promise<{ error: string; counts: Record<string, number> }> {
  assert.ok(browser, `Chromium not found at ${CHROMIUM}; set D3S_CHROMIUM to its path`);
  const context = await browser.newPage();
  try {
    // A string body, because tsx's name helpers do not exist inside the page.
    return await context.evaluate(`(() => {
      const document = new DOMParser().parseFromString(${JSON.stringify(markup)}, "image/svg+xml");
      const count = (selector) => document.querySelectorAll(selector).length;
      return {
        error: document.querySelector("parsererror")?.textContent ?? "",
        counts: {
          mark: count(".mark"),
          errorBar: count(".error-bar"),
          path: count("path.mark"),
          rect: count("rect.mark"),
          root: document.documentElement.nodeName === "svg" ? 1 : 0,
        },
      };
    })()`);
  } finally {
    await context.close();
  }
}

test("line chart draws one path per series", async () => {
  const chart = lineChart({
    title: "Loss <critic> & model",
    xLabel: "step",
    yLabel: "loss",
    series: [
      { name: "model", points: [0, 1, 2, 3].map((x) => ({ x, y: 1 / (x + 1) })) },
      { name: "critic", points: [0, 1, 2, 3].map((x) => ({ x, y: -x })) },
      { name: "empty", points: [{ x: 0, y: Number.NaN }] },
    ],
  });
  const { error, counts } = await parseSvg(chart.markup);
  assert.equal(error, "");
  assert.equal(counts.root, 1);
  // Three series, but the third has no finite point, so two paths.
  assert.equal(counts.path, 2);
  assert.ok(chart.markup.includes("Loss &lt;critic&gt; &amp; model"));
});

test("bar chart counts bars and errors", async () => {
  const chart = barChart({
    title: "Accuracy per background",
    yLabel: "accuracy",
    groups: ["grass", "road", "forest"],
    series: [
      { name: "ERM", values: [0.5, 0.6, 0.7], errors: [0.05, Number.NaN, 0.02] },
      { name: "invariant", values: [0.8, 0.85, 0.9] },
    ],
    reference: { value: 0.1, label: "chance" },
  });
  const { error, counts } = await parseSvg(chart.markup);
  assert.equal(error, "");
  // 3 groups x 2 series = 6 bars; errors only where finite: 2 of ERM's 3, none for invariant.
  assert.equal(counts.rect, 6);
  assert.equal(counts.errorBar, 2);
});

test("heatmap draws every cell", async () => {
  const chart = heatmap({
    title: "Accuracy by class and background",
    rows: ["a", "b"],
    columns: ["x", "y", "z"],
    values: [
      [0.1, 0.2, 0.3],
      [0.4, Number.NaN, 0.6],
    ],
  });
  const { error, counts } = await parseSvg(chart.markup);
  assert.equal(error, "");
  // 2 rows x 3 columns = 6 cells, the NaN cell included (drawn grey).
  assert.equal(counts.rect, 6);
});

test("page escapes text and nests html", () => {
  const document = page({
    title: "Report <1>",
    sections: [
      { title: "Table", content: table({ columns: ["name", "value"], rows: [["<b>", 0.5]] }) },
      { title: "Raw", content: html`<p>${"a & b"}</p>` },
    ],
  });
  assert.ok(document.startsWith("<!DOCTYPE html>"));
  assert.ok(document.includes("<title>Report &lt;1&gt;</title>"));
  assert.ok(document.includes("<td>&lt;b&gt;</td>"));
  assert.ok(document.includes('<td class="number">0.5</td>'));
  assert.ok(document.includes("<p>a &amp; b</p>"));
  assert.ok(!document.includes("<script"));
  assert.equal(escapeHtml(`"'`), "&quot;&#39;");
});

test("nice ticks use round steps", () => {
  // Range 0..1 in about 5 steps: raw step 0.2 is already 2 x 10^-1.
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  // Range 3..97: raw step 18.8 rounds up to 20, starting at the first multiple above 3.
  assert.deepEqual(niceTicks(3, 97), [20, 40, 60, 80]);
});
