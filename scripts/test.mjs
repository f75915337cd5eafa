#!/usr/bin/env node
// Type-checks the project, then runs every test/**/*.test.ts file with Node's test runner
// through tsx. Extra arguments are passed to `node --test` (for example a file filter).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function findTests(folder) {
  return readdirSync(folder)
    .sort()
    .flatMap((name) => {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) return findTests(path);
      return name.endsWith(".test.ts") ? [path] : [];
    });
}

const filters = process.argv.slice(2);
const tsc = spawnSync("npx", ["tsc", "--noEmit", "-p", "."], { stdio: "inherit" });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const files = findTests("test").filter(
  (file) => filters.length === 0 || filters.some((filter) => file.includes(filter)),
);
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-timeout=900000", ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
