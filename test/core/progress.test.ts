import { test } from "node:test";
import assert from "node:assert/strict";
import { formatEta } from "../../src/core/progress.js";

test("ETA formats seconds and minutes", () => {
  // 30 units at 2 units/s leave 15 s; 300 units leave 150 s = 2m 30s; 9000 leave 4500 s = 1h 15m.
  assert.equal(formatEta(30, 2), "15s");
  assert.equal(formatEta(300, 2), "2m 30s");
  assert.equal(formatEta(9000, 2), "1h 15m");
});

test("ETA unknown before any progress", () => {
  assert.equal(formatEta(10, 0), "--");
  assert.equal(formatEta(10, Number.NaN), "--");
  assert.equal(formatEta(10, Number.POSITIVE_INFINITY), "--");
});

test("ETA zero when nothing is left", () => {
  assert.equal(formatEta(0, 0), "0s");
  assert.equal(formatEta(0, 5), "0s");
});
