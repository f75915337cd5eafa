import { Queue, Worker, type ConnectionOptions } from "bullmq";
import { hashBytes } from "../core/hash.js";
import { UserError } from "../core/errors.js";
import { logger } from "../core/log.js";
import type { PlanItem } from "./plan.js";

/** Settings of a shared generation queue on Redis. */
export interface QueueSettings {
  /** Redis URL, for example `redis://10.0.0.5:6379/0`. */
  url: string;
  /** Items per queue job; each job becomes one diffusion batch. */
  batchSize: number;
  /** Fingerprint of the byte-relevant settings; machines with equal settings share a queue. */
  settingsKey: string;
}

/** A queue job that failed on every attempt, with the last error. */
export interface FailedJob {
  ids: string[];
  reason: string;
}

/** Attempts per job before it counts as failed; a second try covers a worker that died. */
const ATTEMPTS = 2;
/** A job's lock lasts this long and the worker renews it while the batch runs. */
const LOCK_MS = 120_000;
const POLL_MS = 500;

/**
 * Runs the unfinished items through a BullMQ queue on Redis, so that machines running the same
 * command share the plan. Each machine adds the jobs and then works until the queue is empty.
 * A job id is a hash of its item ids, so BullMQ ignores repeated adds while that job waits or
 * runs. A finished job is removed, so a later add runs it again; `processBatch` must skip items
 * that are already written.
 */
export async function runOnQueue(
  items: PlanItem[],
  settings: QueueSettings,
  processBatch: (batch: PlanItem[]) => Promise<void>,
): Promise<FailedJob[]> {
  const connection = parseRedisUrl(settings.url);
  const name = `d3s-generate-${settings.settingsKey.slice(0, 16)}`;
  const queue = new Queue(name, { connection });
  const failed: FailedJob[] = [];
  let worker: Worker | undefined;
  try {
    // 1. Add one job per batch of unfinished items; duplicate job ids are ignored by BullMQ.
    await queue.waitUntilReady().catch((error: Error) => {
      throw new UserError(`Cannot connect to Redis at ${settings.url}: ${error.message}`);
    });
    const jobs = chunk(items, settings.batchSize).map((batch) => {
      const ids = batch.map((item) => item.id);
      return {
        name: "items",
        data: { ids },
        opts: {
          jobId: hashBytes(ids.join("\n")).slice(0, 32),
          attempts: ATTEMPTS,
          removeOnComplete: true,
          removeOnFail: false,
        },
      };
    });
    await queue.addBulk(jobs);
    logger().info({ queue: name, jobs: jobs.length }, "queue jobs added");

    // 2. Work through the queue until no job is waiting or running anywhere.
    const byId = new Map(items.map((item) => [item.id, item]));
    worker = new Worker(
      name,
      async (job) => {
        const ids = (job.data as { ids: string[] }).ids;
        const batch = ids.map((id) => byId.get(id));
        const unknown = ids.filter((_, i) => batch[i] === undefined);
        if (unknown.length > 0) {
          // Another machine planned items this one does not have: its inputs or settings differ.
          throw new Error(
            `items ${unknown.join(", ")} are not in this machine's plan; run every machine with the same inputs and settings`,
          );
        }
        await processBatch(batch as PlanItem[]);
      },
      { connection, concurrency: 1, lockDuration: LOCK_MS },
    );
    worker.on("failed", (job, error) => {
      if (job === undefined || job.attemptsMade < ATTEMPTS) return;
      logger().warn({ queue: name, jobId: job.id, error: error.message }, "queue job failed");
      failed.push({ ids: (job.data as { ids: string[] }).ids, reason: error.message });
    });
    await waitUntilEmpty(queue);
  } finally {
    await worker?.close();
    await queue.close();
  }
  return failed;
}

/** Polls the queue's counts until nothing is waiting, delayed or active. */
async function waitUntilEmpty(queue: Queue): Promise<void> {
  for (;;) {
    const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized");
    if (Object.values(counts).every((count) => count === 0)) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Parses `redis://[user:password@]host[:port][/db]` into BullMQ connection options. */
export function parseRedisUrl(url: string): ConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`Invalid --queue "${url}": expected redis://host:port[/db].`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new UserError(`Invalid --queue "${url}": the URL must start with redis:// or rediss://.`);
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) {
    throw new UserError(`Invalid --queue "${url}": the database "${parsed.pathname.slice(1)}" is not a number.`);
  }
  return {
    host: parsed.hostname,
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    db,
    username: parsed.username === "" ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === "" ? undefined : decodeURIComponent(parsed.password),
    tls: parsed.protocol === "rediss:" ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}
