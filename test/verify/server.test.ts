import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { makeDataset, makeGeneratedSplit } from "./fixture.js";
import sharp from "sharp";
import { startVerifyServer, type RunningServer } from "../../src/verify/serve.js";
import { ServeOptions } from "../../src/verify/options.js";
import { openStore } from "../../src/verify/store.js";
import { issueToken, revokeToken } from "../../src/verify/tokens.js";
import { pino } from "pino";
import { Writable } from "node:stream";
import { logger, setLogger } from "../../src/core/log.js";

/** Replaces the logger with one that keeps every record, for the duration of `run`. */
async function captureLogs(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      records.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const previous = logger();
  setLogger(pino({ level: "info" }, sink));
  try {
    await run();
  } finally {
    setLogger(previous);
  }
  return records;
}

async function startFixtureServer(count = 30, extra: Record<string, unknown> = {}) {
  const fixture = await makeDataset({ count });
  const db = openStore(`${fixture.splitDir}/verify.sqlite`);
  const tokens = [issueToken(db, "alice"), issueToken(db, "bob")];
  db.close();
  const options = ServeOptions.parse({ data: fixture.splitDir, foregrounds: fixture.foregrounds, port: 0, ...extra });
  const server = await startVerifyServer(options);
  return { fixture, server, tokens };
}

/** Sends a raw HTTP request so tests control the exact path, headers and body. */
function send(
  server: RunningServer,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<{ status: number; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: url.hostname, port: url.port, method, path, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    outgoing.on("error", reject);
    if (body !== undefined) outgoing.write(body);
    outgoing.end();
  });
}

test("binds to loopback by default", async () => {
  const { server } = await startFixtureServer(4);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  } finally {
    await server.close();
  }
});

test("busy port names the fix", async () => {
  const { fixture, server } = await startFixtureServer(4);
  try {
    const port = Number(new URL(server.url).port);
    await assert.rejects(
      startVerifyServer(ServeOptions.parse({ data: fixture.splitDir, port })),
      new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is in use: pass another --port`),
    );
  } finally {
    await server.close();
  }
});

test("missing and wrong tokens rejected", async () => {
  const { fixture, server, tokens } = await startFixtureServer(4);
  try {
    const missing = await send(server, "GET", "/api/batch", {});
    assert.equal(missing.status, 401);
    const wrong = await send(server, "GET", "/api/batch", { Authorization: `Bearer ${"x".repeat(43)}` });
    assert.equal(wrong.status, 401);
    const malformed = await send(server, "GET", "/api/batch", { Authorization: "Bearer ../../etc/passwd" });
    assert.equal(malformed.status, 401);
    const image = await send(server, "GET", "/api/images/img-000/generated", {});
    assert.equal(image.status, 401, "images need the token too");
    const good = await send(server, "GET", "/api/batch", { Authorization: `Bearer ${tokens[0]}` });
    assert.equal(good.status, 200);
    const db = openStore(`${fixture.splitDir}/verify.sqlite`);
    assert.equal(revokeToken(db, "bob"), true);
    db.close();
    const revoked = await send(server, "GET", "/api/batch", { Authorization: `Bearer ${tokens[1]}` });
    assert.equal(revoked.status, 401, "a revoked link stops working at once");
  } finally {
    await server.close();
  }
});

test("rejections logged with ids", async () => {
  const { server, tokens } = await startFixtureServer(4);
  try {
    const records = await captureLogs(async () => {
      await send(server, "GET", "/api/images/nope/generated", { Authorization: `Bearer ${tokens[0]}` });
    });
    const rejected = records.filter((record) => record.msg === "verify request rejected");
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0].annotator, "alice");
    assert.equal(rejected[0].imageId, "nope");
    assert.equal(rejected[0].status, 404);
    assert.doesNotMatch(JSON.stringify(records), new RegExp(tokens[0]), "the token is never logged");
  } finally {
    await server.close();
  }
});

test("path traversal attempts rejected", async () => {
  const { server, tokens } = await startFixtureServer(4);
  const auth = { Authorization: `Bearer ${tokens[0]}` };
  try {
    const attempts = [
      "/api/images/..%2F..%2Fmetadata.json/generated",
      "/api/images/../../metadata.json/generated",
      "/api/images/%2e%2e/generated",
      "/api/images/background-shift%2Fimg-000.png/generated",
      "/api/examples/1/..%2F..",
      "/api/examples/1/9",
      "/../metadata.json",
      "/verify.sqlite",
      "/metadata.json",
    ];
    for (const path of attempts) {
      const response = await send(server, "GET", path, auth);
      assert.equal(response.status, 404, `${path} -> ${response.status}`);
      assert.doesNotMatch(response.body, /classIdx|SQLite/, `${path} leaked a file`);
    }
    // A broken percent-encoding is the client's fault (400), not a server error (500).
    for (const path of ["/api/images/%E0%A4%A/generated", "/api/images/%/guide"]) {
      assert.equal((await send(server, "GET", path, auth)).status, 400, path);
    }
    assert.equal((await send(server, "GET", "/api/images/img-000%00.png/generated", auth)).status, 404);
    const image = await send(server, "GET", "/api/images/img-000/generated", auth);
    assert.equal(image.status, 200);
    const example = await send(server, "GET", "/api/examples/1/0", auth);
    assert.equal(example.status, 200);
  } finally {
    await server.close();
  }
});

test("oversize and malformed bodies rejected", async () => {
  const { server, tokens } = await startFixtureServer(4, { maxBodyBytes: 2048 });
  const headers = { Authorization: `Bearer ${tokens[0]}`, "Content-Type": "application/json" };
  try {
    const big = JSON.stringify({ batchId: "b", answers: [], padding: "x".repeat(200_000) });
    const declared = await send(server, "POST", "/api/submit", headers, big);
    assert.equal(declared.status, 413);
    const chunked = await send(server, "POST", "/api/submit", { ...headers, "Transfer-Encoding": "chunked" }, big);
    assert.equal(chunked.status, 413, "a streamed body without a length is counted too");
    const text = await send(server, "POST", "/api/submit", { ...headers, "Content-Type": "text/plain" }, "{}");
    assert.equal(text.status, 415);
    const invalid = await send(server, "POST", "/api/submit", headers, "{not json");
    assert.equal(invalid.status, 400);
    const wrongShape = await send(server, "POST", "/api/submit", headers, JSON.stringify({ batchId: 5 }));
    assert.equal(wrongShape.status, 400);
    const unknownBatch = await send(server, "POST", "/api/submit", headers, JSON.stringify({ batchId: "nope", answers: [] }));
    assert.equal(unknownBatch.status, 404);
    const wrongMethod = await send(server, "POST", "/api/batch", headers, "{}");
    assert.equal(wrongMethod.status, 405);
  } finally {
    await server.close();
  }
});

test("repeated submission stores votes once", async () => {
  const { fixture, server, tokens } = await startFixtureServer(6);
  const headers = { Authorization: `Bearer ${tokens[0]}`, "Content-Type": "application/json" };
  try {
    const batch = JSON.parse((await send(server, "GET", "/api/batch", headers)).body).batch;
    assert.equal(batch.items.length, 6, "all 6 fixture images fit one batch of 25");
    const body = JSON.stringify({
      batchId: batch.id,
      answers: batch.items.map((item: { imageId: string }) => ({ imageId: item.imageId, present: true, unsafe: false })),
    });
    const first = JSON.parse((await send(server, "POST", "/api/submit", headers, body)).body);
    const second = JSON.parse((await send(server, "POST", "/api/submit", headers, body)).body);
    assert.equal(first.stored, 6);
    assert.equal(first.duplicate, false);
    assert.equal(second.stored, 0);
    assert.equal(second.duplicate, true);
    const other = await send(server, "POST", "/api/submit", { ...headers, Authorization: `Bearer ${tokens[1]}` }, body);
    assert.equal(other.status, 404, "bob cannot submit alice's batch");
    const db = openStore(`${fixture.splitDir}/verify.sqlite`);
    const count = db.prepare("SELECT COUNT(*) AS n FROM votes").get() as { n: number };
    db.close();
    assert.equal(count.n, 6);
  } finally {
    await server.close();
  }
});

test("generate layout guides served", async () => {
  // Ids with "/" and --save-init grids, as d3s generate writes them; the guide is the grid's
  // left 24 x 24 cell (solid green), the generated image is solid red.
  const fixture = await makeGeneratedSplit(2, 24);
  const db = openStore(`${fixture.splitDir}/verify.sqlite`);
  const token = issueToken(db, "alice");
  db.close();
  const server = await startVerifyServer(ServeOptions.parse({ data: fixture.splitDir, port: 0 }));
  const auth = { Authorization: `Bearer ${token}` };
  try {
    const batch = JSON.parse((await send(server, "GET", "/api/batch", auth)).body).batch;
    assert.equal(batch.items.length, 2);
    assert.equal(batch.items[0].hasGuide, true);
    const id = encodeURIComponent(fixture.entries[0].id);
    const guide = await fetch(new URL(`api/images/${id}/guide`, server.url), { headers: auth });
    assert.equal(guide.status, 200);
    const { data, info } = await sharp(Buffer.from(await guide.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [24, 24]);
    assert.deepEqual([...data.subarray(0, 3)], [0, 200, 0], "top-left pixel is the guide's green");
    assert.deepEqual([...data.subarray(data.length - 3)], [0, 200, 0], "no padding or result pixels");
    const generated = await send(server, "GET", `/api/images/${id}/generated`, auth);
    assert.equal(generated.status, 200);
    const sneaky = encodeURIComponent("background-shift/../../metadata.json");
    assert.equal((await send(server, "GET", `/api/images/${sneaky}/generated`, auth)).status, 404);
  } finally {
    await server.close();
  }
});
