import type Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { Random } from "../core/rng.js";
import { BATCH_SIZE, type QueueOptions, type ScreenThresholds } from "./options.js";
import { readGold, readScreen } from "./store.js";

/** A batch of images assigned to one annotator. */
export interface Batch {
  id: string;
  annotatorId: string;
  createdAt: number;
  /** Image ids in display order; gold images sit at random positions among the others. */
  imageIds: string[];
  submitted: boolean;
}

/** Options of assignBatch. */
export interface AssignOptions extends Pick<QueueOptions, "votes" | "goldPerBatch" | "reserveMinutes"> {
  /** Images per batch (default BATCH_SIZE). */
  batchSize?: number;
  /** Origin of the batch: `web` or `mturk` (default `web`). */
  source?: string;
  /** Clock in ms, for tests (default Date.now()). */
  now?: number;
}

/**
 * Returns the annotator's open batch, or assigns a new one. A new batch takes, in queue order,
 * images that still need votes and that this annotator has not seen, counting open batches of
 * others as votes to come. Gold images go in at random positions. Returns undefined when no
 * image needs this annotator. Runs in one immediate transaction, so two server processes
 * sharing a store do not over-assign.
 */
export function assignBatch(
  db: Database.Database,
  queue: string[],
  annotatorId: string,
  options: AssignOptions,
): Batch | undefined {
  const now = options.now ?? Date.now();
  const cutoff = now - options.reserveMinutes * 60_000;
  const assign = db.transaction((): Batch | undefined => {
    const open = findOpenBatch(db, annotatorId, cutoff);
    if (open !== undefined) return open;
    return createBatch(db, queue, annotatorId, options, now, cutoff);
  });
  return assign.immediate();
}

/** Returns a batch by id, or undefined. */
export function readBatch(db: Database.Database, batchId: string): Batch | undefined {
  const row = db
    .prepare("SELECT id, annotator_id, created_at, submitted_at FROM batches WHERE id = ?")
    .get(batchId) as
    | { id: string; annotator_id: string; created_at: number; submitted_at: number | null }
    | undefined;
  if (row === undefined) return undefined;
  const items = db
    .prepare("SELECT image_id FROM batch_items WHERE batch_id = ? ORDER BY position")
    .all(batchId) as { image_id: string }[];
  return {
    id: row.id,
    annotatorId: row.annotator_id,
    createdAt: row.created_at,
    imageIds: items.map((item) => item.image_id),
    submitted: row.submitted_at !== null,
  };
}

function findOpenBatch(db: Database.Database, annotatorId: string, cutoff: number): Batch | undefined {
  const row = db
    .prepare(
      "SELECT id FROM batches WHERE annotator_id = ? AND submitted_at IS NULL AND created_at > ? ORDER BY created_at DESC LIMIT 1",
    )
    .get(annotatorId, cutoff) as { id: string } | undefined;
  return row === undefined ? undefined : readBatch(db, row.id);
}

function createBatch(
  db: Database.Database,
  queue: string[],
  annotatorId: string,
  options: AssignOptions,
  now: number,
  cutoff: number,
): Batch | undefined {
  const batchSize = options.batchSize ?? BATCH_SIZE;
  const gold = readGold(db);
  const seen = imagesSeenBy(db, annotatorId, cutoff);
  const demand = reservedAndVoted(db, cutoff);
  const freshGold = [...gold.keys()].filter((imageId) => !seen.has(imageId));
  const random = new Random(randomBytes(8).toString("hex"));
  const goldCount = Math.min(options.goldPerBatch, freshGold.length, batchSize - 1);
  const regular: string[] = [];
  for (const imageId of queue) {
    if (regular.length === batchSize - goldCount) break;
    if (gold.has(imageId) || seen.has(imageId)) continue;
    if ((demand.get(imageId) ?? 0) >= options.votes) continue;
    regular.push(imageId);
  }
  if (regular.length === 0) return undefined;
  const chosenGold = random.shuffle(freshGold).slice(0, goldCount);
  const imageIds = random.shuffle([...regular, ...chosenGold]);
  const batch: Batch = {
    id: randomBytes(12).toString("base64url"),
    annotatorId,
    createdAt: now,
    imageIds,
    submitted: false,
  };
  insertBatch(db, batch, options.source ?? "web");
  return batch;
}

/** Inserts a batch and its items; the caller provides the transaction. */
export function insertBatch(db: Database.Database, batch: Batch, source: string): void {
  db.prepare("INSERT INTO batches (id, annotator_id, source, created_at) VALUES (?, ?, ?, ?)").run(
    batch.id,
    batch.annotatorId,
    source,
    batch.createdAt,
  );
  const insertItem = db.prepare("INSERT INTO batch_items (batch_id, position, image_id) VALUES (?, ?, ?)");
  batch.imageIds.forEach((imageId, position) => insertItem.run(batch.id, position, imageId));
}

function imagesSeenBy(db: Database.Database, annotatorId: string, cutoff: number): Set<string> {
  const rows = db
    .prepare(
      `SELECT image_id FROM votes WHERE annotator_id = ?
       UNION SELECT bi.image_id FROM batch_items bi JOIN batches b ON b.id = bi.batch_id
       WHERE b.annotator_id = ? AND b.submitted_at IS NULL AND b.created_at > ?`,
    )
    .all(annotatorId, annotatorId, cutoff) as { image_id: string }[];
  return new Set(rows.map((row) => row.image_id));
}

/**
 * Counts, per image, the votes plus the open unexpired batches that hold it.
 * NOTE: this scans every vote on each new batch, which blocked the server for about 90 ms at
 * 80,000 votes in one development run. Millions of votes would need a per-image counter.
 */
function reservedAndVoted(db: Database.Database, cutoff: number): Map<string, number> {
  const rows = db
    .prepare(
      `SELECT image_id, COUNT(*) AS n FROM (
         SELECT image_id FROM votes
         UNION ALL
         SELECT bi.image_id FROM batch_items bi JOIN batches b ON b.id = bi.batch_id
         WHERE b.submitted_at IS NULL AND b.created_at > ?
       ) GROUP BY image_id`,
    )
    .all(cutoff) as { image_id: string; n: number }[];
  return new Map(rows.map((row) => [row.image_id, row.n]));
}

/**
 * Orders the image ids for the queue. `dataset` keeps metadata order; `likely-failure` puts
 * the highest failure score first (see failureScore). With `skipClear`, images whose screens
 * cross their thresholds are left out and go to consolidate as screened out.
 */
export function queueOrder(
  db: Database.Database,
  imageIds: string[],
  options: Pick<QueueOptions, "order" | "skipClear"> & ScreenThresholds,
): string[] {
  const nsfw = readScreen(db, "nsfw");
  const clip = readScreen(db, "clip");
  const kept = options.skipClear
    ? imageIds.filter((imageId) => !screenedOut(imageId, nsfw, clip, options))
    : imageIds;
  if (options.order === "dataset") return kept;
  const score = new Map(kept.map((imageId) => [imageId, failureScore(nsfw.get(imageId), clip.get(imageId), options)]));
  return [...kept].sort((a, b) => (score.get(b) ?? 0) - (score.get(a) ?? 0));
}

/** Returns true when a screen marks the image as a clear failure at its threshold. */
export function screenedOut(
  imageId: string,
  nsfw: Map<string, number>,
  clip: Map<string, number>,
  thresholds: ScreenThresholds,
): boolean {
  const nsfwScore = nsfw.get(imageId);
  const clipScore = clip.get(imageId);
  const unsafe = nsfwScore !== undefined && nsfwScore >= thresholds.nsfwThreshold;
  const missing = clipScore !== undefined && clipScore < thresholds.clipThreshold;
  return unsafe || missing;
}

/**
 * Returns a failure score in [0, 1]: the larger of the NSFW probability and a CLIP term that
 * is 0.5 at the CLIP threshold and grows by 0.1 per 0.01 of similarity below it.
 */
export function failureScore(
  nsfwScore: number | undefined,
  clipScore: number | undefined,
  thresholds: ScreenThresholds,
): number {
  const clipTerm =
    clipScore === undefined ? 0 : Math.min(1, Math.max(0, 0.5 + (thresholds.clipThreshold - clipScore) * 10));
  return Math.max(nsfwScore ?? 0, clipTerm);
}
