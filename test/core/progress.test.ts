import { test } from "node:test";
import assert from "node:assert/strict";
import { formatEta, terminalProgress } from "../../src/core/progress.js";

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

test("plain progress lines without terminal", () => {
  // The test runner pipes stderr, so the listener prints plain lines: the first event, then at
  // most one line per 5 seconds, and the last event. Ten quick events give two lines.
  assert.equal(process.stderr.isTTY === true, false);
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const listener = terminalProgress("items");
    for (let done = 1; done <= 10; done++) listener({ stage: "learn", unit: "steps", done, total: 10 });
    listener.stop();
  } finally {
    process.stderr.write = write;
  }
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^learn 1\/10 steps \|/);
  // Ten events within a second give no rate yet.
  assert.match(lines[1], /^learn 10\/10 steps \| -- steps\/s \| ETA 0s\n$/);
});
