import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDemoOptions } from "../../src/learn/demo-options.js";
import { parseLearnOptions } from "../../src/learn/options.js";

function d3s(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["bin/d3s.js", ...args], { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Runs d3s, expecting exit code 2 (UserError) and exactly `message` on stderr: one line, no stack.
function assertRejected(args: string[], message: string): void {
  const result = d3s(args);
  assert.equal(result.status, 2, `d3s ${args.join(" ")}: ${result.stderr}`);
  assert.equal(result.stderr, `d3s: ${message}\n`);
}

const learn = ["learn", "--data", "/nonexistent", "--out", "/tmp/d3s-unused"];

test("mini rejects bad numbers", () => {
  // The bounds come from miniSplitOptionsSchema: perClass positive, size from 8 to 256.
  assertRejected(
    ["mini", "--per-class", "-3"],
    "Invalid --per-class -3: expected a whole number above 0.",
  );
  assertRejected(
    ["mini", "--size", "0"],
    "Invalid --size 0: expected a whole number from 8 to 256 (default 32).",
  );
  assertRejected(["mini", "--seed", "abc"], 'Invalid --seed "abc": expected a number.');
});

test("learn errors name flag and value", () => {
  // Allowed values and defaults come from learnOptionsSchema.
  assertRejected(
    [...learn, "--penalty", "foo"],
    'Invalid --penalty "foo": expected one of wasserstein, mine, linear, none ' +
      "(default wasserstein).",
  );
  assertRejected(
    [...learn, "--steps", "-5"],
    "Invalid --steps -5: expected a whole number of at least 1 (default 1000).",
  );
  assertRejected(
    [...learn, "--learning-rate", "-1"],
    "Invalid --learning-rate -1: expected a number above 0 (default 0.001).",
  );
  assertRejected(
    [...learn, "--cnn-channels", "16,0"],
    "Invalid --cnn-channels 16,0: expected one or more values, each a whole number of at " +
      "least 1 (default 32,64,128), but item 2 is 0.",
  );
  assertRejected(
    [...learn, "--cnn-channels", "16,,8"],
    'Invalid --cnn-channels "16,,8": expected comma-separated numbers, but item 2 is "".',
  );
  // Checks across options name every flag involved; 5 is the critic steps default.
  assertRejected(
    [...learn, "--critic-pool", "9"],
    "Invalid --critic-pool: 9 batches would exceed --critic-steps (5); use at most 5 or raise " +
      "--critic-steps.",
  );
});

test("experiment errors name their flags", () => {
  // demoOptionsSchema bounds every correlation to [0, 1].
  assertRejected(
    ["spurious", "--correlation", "1.5"],
    "Invalid --correlation 1.5: expected a number from 0 to 1 (default 0.95).",
  );
  assertRejected(
    ["spurious", "--sweep", "0.5,-0.2"],
    "Invalid --sweep 0.5,-0.2: expected one or more values, each a number from 0 to 1, but " +
      "item 2 is -0.2.",
  );
  assertRejected(
    ["probe", "--steps", "2.5"],
    "Invalid --steps 2.5: expected a whole number of at least 1.",
  );
  assertRejected(
    ["demo", "--penalty", "none"],
    'Invalid --penalty "none": expected one of wasserstein, mine, linear (default linear).',
  );
  assertRejected(
    ["demo", "--penalty-weight", "-1"],
    "Invalid --penalty-weight -1: expected a number of at least 0.",
  );
});

test("probe checks model folders first", async () => {
  // Checked before the mini splits are composited, so the error is the only output.
  const hint =
    "the folder has no model.json. Pass the --out folder of d3s learn, or OUT/models/penalised " +
    "or OUT/models/unpenalised of d3s demo.";
  assertRejected(
    ["probe", "--model", "/nonexistent/model"],
    `Invalid --model "/nonexistent/model": ${hint}`,
  );
  // A folder with a model.json passes the check, so the missing baseline is the error.
  const dir = await mkdtemp(join(tmpdir(), "d3s-cli-errors-"));
  try {
    await writeFile(join(dir, "model.json"), "{}");
    assertRejected(
      ["spurious", "--model", dir, "--baseline", "/nonexistent/base"],
      `Invalid --baseline "/nonexistent/base": ${hint}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("sweep help names the added correlation", () => {
  for (const command of ["spurious", "demo"]) {
    const result = d3s([command, "--help"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout.replace(/\s+/g, " "), /the --correlation value (is )?always added/);
  }
});

test("library errors keep option keys", () => {
  assert.throws(
    () => parseLearnOptions({ learningRate: -1 }),
    /^UserError: Invalid learn option learningRate -1: expected a number above 0 \(default 0\.001\)/,
  );
  assert.throws(
    () => parseDemoOptions({ sweep: [0.5, -0.2] }),
    /^UserError: Invalid demo option sweep 0\.5,-0\.2: expected .* but item 2 is -0\.2\.$/,
  );
});
