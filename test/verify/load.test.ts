import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { join } from "node:path";
import { makeDataset } from "./fixture.js";
import { startVerifyServer } from "../../src/verify/serve.js";
import { ServeOptions } from "../../src/verify/options.js";
import { openStore } from "../../src/verify/store.js";
import { issueToken } from "../../src/verify/tokens.js";

interface BatchBody {
  batch: { id: string; items: { imageId: string }[] } | null;
}

async function fetchBatch(url: string, token: string): Promise<BatchBody> {
  const response = await fetch(new URL("api/batch", url), { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  return (await response.json()) as BatchBody;
}

async function submitAll(url: string, token: string, batch: NonNullable<BatchBody["batch"]>, present: boolean) {
  const response = await fetch(new URL("api/submit", url), {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      batchId: batch.id,
      answers: batch.items.map((item) => ({ imageId: item.imageId, present, unsafe: false })),
    }),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as { stored: number; duplicate: boolean };
}

/** Starts `d3s verify serve` in a child process; `url` resolves once it listens. */
function spawnServer(splitDir: string): { child: ChildProcessByStdio<null, Readable, null>; url: Promise<string> } {
  const child = spawn(process.execPath, ["bin/d3s.js", "verify", "serve", "--data", splitDir, "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /at (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  return { child, url };
}

test("50 concurrent annotators lose nothing", async () => {
  // 250 images x 5 votes = 1250 votes = exactly 50 batches of 25, one per annotator.
  const fixture = await makeDataset({ count: 250, guides: false });
  const dbPath = join(fixture.splitDir, "verify.sqlite");
  const setup = openStore(dbPath);
  const tokens = Array.from({ length: 50 }, (_, i) => issueToken(setup, `annotator-${i}`));
  setup.close();
  const server = await startVerifyServer(ServeOptions.parse({ data: fixture.splitDir, port: 0, goldPerBatch: 0 }));
  try {
    // Every annotator fetches a batch and submits it twice at once, as a client retrying would.
    const results = await Promise.all(
      tokens.map(async (token) => {
        const body = await fetchBatch(server.url, token);
        assert.ok(body.batch !== null);
        assert.equal(body.batch.items.length, 25);
        const [first, second] = await Promise.all([
          submitAll(server.url, token, body.batch, true),
          submitAll(server.url, token, body.batch, true),
        ]);
        return first.stored + second.stored;
      }),
    );
    assert.deepEqual(results, new Array(50).fill(25), "each annotator stored 25 votes once");
    const db = openStore(dbPath);
    const total = db.prepare("SELECT COUNT(*) AS n FROM votes").get() as { n: number };
    const perImage = db.prepare("SELECT MIN(n) AS low, MAX(n) AS high, COUNT(*) AS images FROM (SELECT COUNT(*) AS n FROM votes GROUP BY image_id)").get() as {
      low: number;
      high: number;
      images: number;
    };
    db.close();
    assert.equal(total.n, 1250);
    assert.deepEqual(perImage, { low: 5, high: 5, images: 250 });
    const extra = await fetchBatch(server.url, tokens[0]);
    assert.equal(extra.batch, null, "no image needs a sixth vote");
  } finally {
    await server.close();
  }
});

test("acknowledged votes survive kill -9", async () => {
  const fixture = await makeDataset({ count: 10, guides: false });
  const dbPath = join(fixture.splitDir, "verify.sqlite");
  const setup = openStore(dbPath);
  const token = issueToken(setup, "alice");
  assert.equal(setup.pragma("synchronous", { simple: true }), 2, "synchronous = FULL (2)");
  assert.equal(setup.pragma("journal_mode", { simple: true }), "wal");
  setup.close();
  // The real CLI in a child process, so the crash cannot run any shutdown code.
  const { child, url: started } = spawnServer(fixture.splitDir);
  try {
    const url = await started;
    const body = await fetchBatch(url, token);
    assert.ok(body.batch !== null);
    const result = await submitAll(url, token, body.batch, false);
    assert.equal(result.stored, 10);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const db = openStore(dbPath);
    const votes = db.prepare("SELECT COUNT(*) AS n FROM votes WHERE annotator_id = 'alice' AND present = 0").get() as { n: number };
    db.close();
    assert.equal(votes.n, 10);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

test("two servers share one store", async () => {
  // Two server processes on one SQLite file. 20 annotators each take a batch from one server
  // and submit it to both at once: SQLite's locks must let exactly one submission store it.
  // 100 images x 5 votes = 500 votes = 20 batches of 25.
  const fixture = await makeDataset({ count: 100, guides: false });
  const dbPath = join(fixture.splitDir, "verify.sqlite");
  const setup = openStore(dbPath);
  const tokens = Array.from({ length: 20 }, (_, i) => issueToken(setup, `annotator-${i}`));
  setup.close();
  const servers = [spawnServer(fixture.splitDir), spawnServer(fixture.splitDir)];
  try {
    const [first, second] = await Promise.all(servers.map((server) => server.url));
    const stored = await Promise.all(
      tokens.map(async (token, i) => {
        const body = await fetchBatch(i % 2 === 0 ? first : second, token);
        assert.ok(body.batch !== null);
        const results = await Promise.all([first, second].map((url) => submitAll(url, token, body.batch!, true)));
        assert.equal(results.filter((result) => result.duplicate).length, 1, "one of the two is the duplicate");
        return results[0].stored + results[1].stored;
      }),
    );
    assert.deepEqual(stored, new Array(20).fill(25));
    const db = openStore(dbPath);
    const perImage = db.prepare("SELECT MIN(n) AS low, MAX(n) AS high, COUNT(*) AS images FROM (SELECT COUNT(*) AS n FROM votes GROUP BY image_id)").get();
    db.close();
    assert.deepEqual(perImage, { low: 5, high: 5, images: 100 }, "no image over-assigned across the servers");
  } finally {
    for (const { child } of servers) child.kill("SIGTERM");
  }
});
