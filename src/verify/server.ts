import type Database from "better-sqlite3";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { logger } from "../core/log.js";
import type { ClassDetails } from "./classes.js";
import { IMAGE_ID_PATTERN, type VerifyDataset, type VerifyItem } from "./dataset.js";
import { readGuidePng } from "./guide.js";
import { HttpError, SECURITY_HEADERS, bearerToken, readJsonBody, sendBytes, sendJson } from "./http.js";
import type { QueueOptions } from "./options.js";
import { assignBatch, type Batch } from "./queue.js";
import { Submission, SubmitError, submitBatch } from "./submit.js";
import { annotatorForToken } from "./tokens.js";

const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), "web");

/** Static page files served without a token; they contain no data. */
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

const IMAGE_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
};

/** Everything the request handler needs: the store, the split and the queue settings. */
export interface VerifyContext {
  db: Database.Database;
  dataset: VerifyDataset;
  classes: Map<number, ClassDetails>;
  /** Image ids in queue order (see queueOrder). */
  queue: string[];
  queueOptions: Pick<QueueOptions, "votes" | "goldPerBatch" | "reserveMinutes">;
  maxBodyBytes: number;
}

/** Ids of the request, logged with every error. */
interface RequestIds {
  method: string;
  path: string;
  annotator?: string;
  batchId?: string;
  imageId?: string;
}

/** Creates the HTTP server of the verification page and its JSON API (not yet listening). */
export async function createVerifyServer(context: VerifyContext): Promise<Server> {
  const files = new Map<string, Buffer>();
  for (const { file } of Object.values(STATIC_FILES)) files.set(file, await readFile(join(WEB_DIR, file)));
  const server = createServer((request, response) => {
    void handle(context, files, request, response);
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return server;
}

async function handle(
  context: VerifyContext,
  files: Map<string, Buffer>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const ids: RequestIds = { method: request.method ?? "GET", path: url.pathname };
  try {
    const page = STATIC_FILES[url.pathname];
    if (page !== undefined) {
      requireMethod(request, "GET");
      sendBytes(response, page.type, files.get(page.file) ?? "");
      return;
    }
    if (url.pathname === "/favicon.ico") {
      // Browsers request it on every page load, and a 404 there would fill the log with noise.
      response.writeHead(204, SECURITY_HEADERS).end();
      return;
    }
    if (!url.pathname.startsWith("/api/")) throw new HttpError(404, "Not found.");
    ids.annotator = authenticate(context.db, request);
    await route(context, request, response, url.pathname, ids);
  } catch (error) {
    const status = error instanceof HttpError || error instanceof SubmitError ? error.status : 500;
    const message = status === 500 ? "Internal server error." : (error as Error).message;
    logRejected(status, ids, error);
    if (!response.headersSent) sendJson(response, status, { error: message });
    else response.destroy();
  }
}

function authenticate(db: Database.Database, request: IncomingMessage): string {
  const token = bearerToken(request);
  if (token === undefined) throw new HttpError(401, "Missing token: open the link you were given.");
  const annotator = annotatorForToken(db, token);
  if (annotator === undefined) throw new HttpError(401, "Invalid token: ask for a new link.");
  return annotator;
}

async function route(
  context: VerifyContext,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  ids: RequestIds,
): Promise<void> {
  const annotator = ids.annotator as string;
  if (path === "/api/batch") {
    requireMethod(request, "GET");
    const batch = assignBatch(context.db, context.queue, annotator, context.queueOptions);
    ids.batchId = batch?.id;
    sendJson(response, 200, describeBatch(context, annotator, batch));
    return;
  }
  if (path === "/api/submit") {
    requireMethod(request, "POST");
    const body = await readJsonBody(request, context.maxBodyBytes);
    const parsed = Submission.safeParse(body);
    if (!parsed.success) throw new HttpError(400, `Invalid submission: ${parsed.error.issues[0].message}.`);
    ids.batchId = parsed.data.batchId;
    sendJson(response, 200, submitBatch(context.db, annotator, parsed.data));
    return;
  }
  const image = /^\/api\/images\/([^/]+)\/(generated|guide)$/.exec(path);
  if (image !== null) {
    requireMethod(request, "GET");
    ids.imageId = decodeImageId(image[1]);
    const item = findItem(context, ids.imageId);
    if (image[2] === "generated") await sendImage(response, item.imagePath);
    else await sendGuide(response, item);
    return;
  }
  const example = /^\/api\/examples\/(\d{1,6})\/(\d{1,2})$/.exec(path);
  if (example !== null) {
    requireMethod(request, "GET");
    const photo = context.classes.get(Number(example[1]))?.examples[Number(example[2])];
    if (photo === undefined) throw new HttpError(404, "No such example photo.");
    await sendImage(response, photo);
    return;
  }
  throw new HttpError(404, "Not found.");
}

/** Decodes a percent-encoded image id; malformed encodings (`%E0%A4%A`) get 400, not 500. */
function decodeImageId(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, "Malformed image id in the URL.");
  }
}

function requireMethod(request: IncomingMessage, method: string): void {
  if (request.method !== method) throw new HttpError(405, `Use ${method} for this URL.`);
}

/** Maps an image id (never a path) to its item; unknown ids give 404. */
function findItem(context: VerifyContext, imageId: string): VerifyItem {
  const item = IMAGE_ID_PATTERN.test(imageId) ? context.dataset.items.get(imageId) : undefined;
  if (item === undefined) throw new HttpError(404, "No such image.");
  return item;
}

async function sendGuide(response: ServerResponse, item: VerifyItem): Promise<void> {
  if (item.guide === undefined) throw new HttpError(404, "This image has no guide.");
  let bytes: Buffer;
  try {
    bytes = await readGuidePng(item.guide);
  } catch (error) {
    throw new HttpError(404, `Guide image is unreadable: ${(error as Error).message}`);
  }
  sendBytes(response, "image/png", bytes);
}

async function sendImage(response: ServerResponse, path: string): Promise<void> {
  const type = IMAGE_TYPES[extname(path).toLowerCase()];
  if (type === undefined) throw new HttpError(404, "Unsupported image type.");
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new HttpError(404, `Image file is missing: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}.`);
  }
  sendBytes(response, type, bytes);
}

function describeBatch(context: VerifyContext, annotator: string, batch: Batch | undefined): unknown {
  const voted = context.db.prepare("SELECT COUNT(*) AS n FROM votes WHERE annotator_id = ?").get(annotator) as {
    n: number;
  };
  if (batch === undefined) return { annotator, votedByMe: voted.n, batch: null };
  const items = batch.imageIds.map((imageId) => {
    const item = context.dataset.items.get(imageId);
    const details = item === undefined ? undefined : context.classes.get(item.entry.classIdx);
    return {
      imageId,
      classIdx: item?.entry.classIdx ?? -1,
      className: details?.name ?? item?.className ?? "unknown class",
      definition: details?.definition ?? "",
      hasGuide: item?.guide !== undefined,
      exampleCount: details?.examples.length ?? 0,
    };
  });
  return { annotator, votedByMe: voted.n, batch: { id: batch.id, items } };
}

let lastLogged = new Map<string, number>();
let suppressed = 0;

/**
 * Logs one line per rejected request with its ids (never the token). Repeats of the same status
 * and path within a second are counted instead, so a client hammering with a bad token cannot
 * flood the log.
 */
function logRejected(status: number, ids: RequestIds, error: unknown): void {
  const key = `${status} ${ids.path}`;
  const now = Date.now();
  if (now - (lastLogged.get(key) ?? 0) < 1000) {
    suppressed += 1;
    return;
  }
  if (lastLogged.size > 1000) lastLogged = new Map();
  lastLogged.set(key, now);
  const fields = { ...ids, status, error: (error as Error).message, suppressed };
  suppressed = 0;
  if (status >= 500) logger().error({ ...fields, stack: (error as Error).stack }, "verify request failed");
  else logger().warn(fields, "verify request rejected");
}
