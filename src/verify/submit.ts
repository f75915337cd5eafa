import type Database from "better-sqlite3";
import { z } from "zod";
import { readBatch } from "./queue.js";
import { counted } from "./plural.js";

/** The body of a batch submission. */
export const Submission = z.object({
  batchId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  answers: z
    .array(
      z.object({
        imageId: z.string().min(1).max(200),
        present: z.boolean(),
        unsafe: z.boolean(),
      }),
    )
    .max(1000),
});
export type Submission = z.infer<typeof Submission>;

/** The response to a submission, shown to the annotator. */
export interface SubmitResult {
  batchId: string;
  /** Votes stored by this request (0 when the batch had been submitted before). */
  stored: number;
  /** True when the batch had already been submitted; the earlier votes stand. */
  duplicate: boolean;
  /** Gold images in the batch and how many of them were answered correctly on both questions. */
  gold: { seen: number; correct: number };
}

/** A submission that does not fit its batch; the server responds with `status`. */
export class SubmitError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Stores the votes of one batch in a single transaction. A batch is submitted once: a repeated
 * submission (a retry after a lost response) changes nothing and returns the first result, so
 * retries are safe. The answers must cover each image of the batch exactly once.
 */
export function submitBatch(
  db: Database.Database,
  annotatorId: string,
  submission: Submission,
  source = "web",
): SubmitResult {
  const run = db.transaction((): SubmitResult => {
    const batch = readBatch(db, submission.batchId);
    if (batch === undefined || batch.annotatorId !== annotatorId) {
      throw new SubmitError(404, `Batch ${submission.batchId} is not assigned to this annotator.`);
    }
    checkCoverage(batch.imageIds, submission);
    if (batch.submitted) {
      return { batchId: batch.id, stored: 0, duplicate: true, gold: scoreGold(db, batch.id) };
    }
    const insert = db.prepare(
      `INSERT INTO votes (image_id, annotator_id, present, unsafe, batch_id, source, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(image_id, annotator_id) DO NOTHING`,
    );
    const now = Date.now();
    let stored = 0;
    for (const answer of submission.answers) {
      const result = insert.run(answer.imageId, annotatorId, Number(answer.present), Number(answer.unsafe), batch.id, source, now);
      stored += result.changes;
    }
    db.prepare("UPDATE batches SET submitted_at = ? WHERE id = ?").run(now, batch.id);
    return { batchId: batch.id, stored, duplicate: false, gold: scoreGold(db, batch.id) };
  });
  return run.immediate();
}

function checkCoverage(imageIds: string[], submission: Submission): void {
  const expected = new Set(imageIds);
  const answered = new Set<string>();
  for (const answer of submission.answers) {
    if (!expected.has(answer.imageId)) {
      throw new SubmitError(400, `Image ${answer.imageId} is not in batch ${submission.batchId}.`);
    }
    if (answered.has(answer.imageId)) {
      throw new SubmitError(400, `Image ${answer.imageId} is answered twice in batch ${submission.batchId}.`);
    }
    answered.add(answer.imageId);
  }
  if (answered.size !== expected.size) {
    throw new SubmitError(
      400,
      `Batch ${submission.batchId} has ${counted(expected.size, "image")} but ${answered.size} ${answered.size === 1 ? "was" : "were"} answered; answer every image.`,
    );
  }
}

/** Scores the stored votes of a batch against the gold answers. */
function scoreGold(db: Database.Database, batchId: string): { seen: number; correct: number } {
  const row = db
    .prepare(
      `SELECT COUNT(*) AS seen, COALESCE(SUM(v.present = g.present AND v.unsafe = g.unsafe), 0) AS correct
       FROM votes v JOIN gold g ON g.image_id = v.image_id WHERE v.batch_id = ?`,
    )
    .get(batchId) as { seen: number; correct: number };
  return { seen: row.seen, correct: row.correct };
}
