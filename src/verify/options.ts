import { z } from "zod";
import { UserError } from "../core/errors.js";

/** Images shown to one annotator per batch, and the number of images per MTurk HIT row. */
export const BATCH_SIZE = 25;

/** Default of every verify option; the zod schemas and the CLI help both read them. */
export const DEFAULTS = {
  votes: 5,
  goldPerBatch: 2,
  reserveMinutes: 120,
  order: "dataset",
  nsfwThreshold: 0.5,
  clipThreshold: 0.2,
  host: "127.0.0.1",
  port: 8080,
  maxBodyBytes: 64 * 1024,
} as const;

/** Options shared by every verify command: the split folder and the vote store. */
export const StoreOptions = z.object({
  /** Split folder with `metadata.json` (for example `out/val`). */
  data: z.string().min(1, "--data needs a split folder that contains metadata.json"),
  /** SQLite vote store; default `<data>/verify.sqlite`. */
  db: z.string().min(1).optional(),
});
export type StoreOptions = z.infer<typeof StoreOptions>;

/** Queue settings used by `serve` and by the MTurk export. */
export const QueueOptions = z.object({
  /** Votes each image collects from different annotators (default 5). */
  votes: z.coerce.number().int().min(1).max(50).default(DEFAULTS.votes),
  /** Gold images mixed into each batch of 25 (default 2). */
  goldPerBatch: z.coerce.number().int().min(0).max(BATCH_SIZE - 1).default(DEFAULTS.goldPerBatch),
  /** Minutes an unsubmitted batch keeps its images reserved (default 120). */
  reserveMinutes: z.coerce.number().positive().max(7 * 24 * 60).default(DEFAULTS.reserveMinutes),
  /** Queue order: dataset order, or most likely failures first by the stored screen scores. */
  order: z.enum(["dataset", "likely-failure"]).default(DEFAULTS.order),
  /** Leave images the screens mark as clear failures out of the queue (default false). */
  skipClear: z.coerce.boolean().default(false),
});
export type QueueOptions = z.infer<typeof QueueOptions>;

/** Screen thresholds, shared by the queue and by the consolidate report. */
export const ScreenThresholds = z.object({
  /** NSFW probability (Hentai + Porn + Sexy) at or above which an image counts as flagged (default 0.5). */
  nsfwThreshold: z.coerce.number().min(0).max(1).default(DEFAULTS.nsfwThreshold),
  /** CLIP cosine similarity below which the object counts as missing (default 0.2). */
  clipThreshold: z.coerce.number().min(-1).max(1).default(DEFAULTS.clipThreshold),
});
export type ScreenThresholds = z.infer<typeof ScreenThresholds>;

/** Options of `d3s verify serve`. */
export const ServeOptions = StoreOptions.extend(QueueOptions.shape)
  .extend(ScreenThresholds.shape)
  .extend({
    /** Folder of class example photos, one sub-folder per class (wnid, class index or name). */
    foregrounds: z.string().min(1).optional(),
    /** CSV of gold images (`id,present,unsafe`) loaded into the store before serving. */
    gold: z.string().min(1).optional(),
    /** Interface to bind (default 127.0.0.1, loopback only). */
    host: z.string().min(1).default(DEFAULTS.host),
    /** TCP port; 0 picks a free port (default 8080). */
    port: z.coerce.number().int().min(0).max(65535).default(DEFAULTS.port),
    /** Largest accepted request body in bytes (default 65536). */
    maxBodyBytes: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(DEFAULTS.maxBodyBytes),
  });
export type ServeOptions = z.infer<typeof ServeOptions>;

/** Returns the store path: `--db` or `<data>/verify.sqlite`. */
export function storePath(options: StoreOptions): string {
  return options.db ?? `${options.data.replace(/\/+$/, "")}/verify.sqlite`;
}

/**
 * Parses options with a zod schema and turns the first problem into a message that names the
 * flag, the value and what is allowed.
 */
export function parseOptions<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = String(issue.path[0] ?? "");
  const flag = `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
  const value = (raw as Record<string, unknown>)[key];
  throw new UserError(`Invalid ${flag} ${JSON.stringify(value)}: ${issue.message}.`);
}
