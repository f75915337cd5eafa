import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { counted } from "../../src/verify/plural.js";
import { makeDataset, temporaryRoot } from "./fixture.js";

const run = promisify(execFile);

/** Runs the d3s CLI and returns its exit code and output, without throwing on failure. */
async function d3s(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["bin/d3s.js", ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test("tokens rejects missing data folder", async () => {
  const root = await temporaryRoot("d3s-tokens-");
  const missing = join(root, "nope");
  const result = await d3s(["verify", "tokens", "--data", missing, "--add", "bob"]);
  // UserError exits with code 2, as serve does for the same folder.
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--data folder .*nope does not exist/);
  assert.doesNotMatch(result.stdout, /#token=/);
  assert.equal(existsSync(join(missing, "verify.sqlite")), false);
  assert.equal(existsSync(missing), false);
});

test("tokens without flags lists annotators", async () => {
  const fixture = await makeDataset({ count: 2 });
  const empty = await d3s(["verify", "tokens", "--data", fixture.splitDir]);
  assert.equal(empty.code, 0);
  assert.match(empty.stdout, /No annotators yet\. Create a link with --add NAME\./);

  const added = await d3s(["verify", "tokens", "--data", fixture.splitDir, "--add", "alice", "bob"]);
  assert.equal(added.code, 0);
  const aliceToken = /alice\t\S+#token=(\S+)/.exec(added.stdout)?.[1];
  assert.ok(aliceToken, added.stdout);
  await d3s(["verify", "tokens", "--data", fixture.splitDir, "--revoke", "bob"]);

  const listed = await d3s(["verify", "tokens", "--data", fixture.splitDir]);
  assert.equal(listed.code, 0);
  assert.match(listed.stdout, /^alice\tweb\tactive\t\d{4}-/m);
  assert.match(listed.stdout, /^bob\tweb\trevoked\t\d{4}-/m);
  // The listing never shows a token.
  assert.equal(listed.stdout.includes(aliceToken), false);
  assert.doesNotMatch(listed.stdout, /#token=/);
});

test("counted nouns take the right number", () => {
  assert.equal(counted(0, "row"), "0 rows");
  assert.equal(counted(1, "malformed row"), "1 malformed row");
  assert.equal(counted(2, "image"), "2 images");
  assert.equal(counted(1, "batch", "batches"), "1 batch");
  assert.equal(counted(3, "batch", "batches"), "3 batches");
});
