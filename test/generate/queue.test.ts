import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runGenerate } from "../../src/generate/job.js";
import { logger } from "../../src/core/log.js";
import { startTestRedis, type TestRedis } from "../support/redis.js";
import {
  EXAMPLE_BACKGROUNDS,
  EXAMPLE_FOREGROUNDS,
  EXAMPLE_RECIPE,
  REPO,
  differingFiles,
  readTree,
  temporaryFolder,
} from "./fixtures.js";

logger().level = "error";

// The example set: 4 foreground photos x 4 backgrounds of the example recipe.
const EXAMPLE_ITEMS = 16;

let redis: TestRedis | undefined;
before(async () => {
  redis = await startTestRedis();
});
after(async () => {
  await redis?.stop();
});

/** Runs `d3s generate` in a child process, as a second machine would, and returns its stdout. */
function generateInChild(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, "bin", "d3s.js"), "generate", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${stderr}`)),
    );
  });
}

test("queue shared by two workers", async (context) => {
  if (redis === undefined) {
    context.skip("no Redis: set D3S_REDIS_URL or install redis-server");
    return;
  }
  const folder = await temporaryFolder();
  const common = {
    foregrounds: EXAMPLE_FOREGROUNDS,
    backgrounds: EXAMPLE_BACKGROUNDS,
    recipes: [EXAMPLE_RECIPE],
    generator: "composite" as const,
    size: 64,
    seed: Math.floor(Math.random() * 1e9),
  };
  const reference = join(folder, "reference");
  await runGenerate({ ...common, out: reference });

  // Two machines run the same command against one queue and one output folder.
  const shared = join(folder, "shared");
  const args = [
    "--foregrounds", common.foregrounds,
    "--backgrounds", common.backgrounds,
    "--recipe", EXAMPLE_RECIPE,
    "--generator", "composite",
    "--size", "64",
    "--seed", String(common.seed),
    "--out", shared,
    "--queue", redis.url,
  ];
  const outputs = await Promise.all([generateInChild(args), generateInChild(args)]);
  const counts = outputs.map((output) => Number(/Generated (\d+) images/.exec(output)?.[1]));
  assert.equal(counts[0] + counts[1], EXAMPLE_ITEMS, `each item exactly once: ${counts}`);

  // Settings and skip files differ by run; every image, manifest and the metadata must match.
  const images = (tree: Map<string, Buffer>) =>
    new Map([...tree].filter(([path]) => !/skipped|settings/.test(path)));
  const expected = images(await readTree(reference));
  const actual = images(await readTree(shared));
  assert.ok(expected.size >= EXAMPLE_ITEMS);
  assert.deepEqual(differingFiles(expected, actual), []);
});

test("queue rejects shard and bad url", async () => {
  const base = {
    foregrounds: EXAMPLE_FOREGROUNDS,
    backgrounds: EXAMPLE_BACKGROUNDS,
    recipes: [EXAMPLE_RECIPE],
    generator: "composite" as const,
    out: await temporaryFolder(),
  };
  await assert.rejects(
    runGenerate({ ...base, queue: "redis://127.0.0.1:1", shard: "0/2" }),
    /drop --shard and --limit/,
  );
  await assert.rejects(runGenerate({ ...base, queue: "http://x" }), /must start with redis:\/\//);
});
