import { readFile } from "node:fs/promises";
import { z } from "zod";
import { logger } from "../../core/log.js";
import { silentProgress, type ProgressListener } from "../../core/progress.js";
import { loadVerifyDataset } from "../dataset.js";
import { StoreOptions, storePath } from "../options.js";
import { openStore, writeScreen } from "../store.js";
import { loadClipScreen, type ClipScreen } from "./clip.js";
import { loadNsfwModel } from "./nsfw.js";

/** Options of `d3s verify screen`. */
export const ScreenOptions = StoreOptions.extend({
  /** Score only the first N images, for a quick look (default: all). */
  limit: z.coerce.number().int().positive().optional(),
  /** CLIP ONNX folder; when given, each image also gets a CLIP score for "a photo of a {class}". */
  clip: z.string().min(1).optional(),
  /** ONNX Runtime intra-op threads for CLIP; 0 lets it use every core (default 0). */
  threads: z.coerce.number().int().min(0).default(0),
});
export type ScreenOptions = z.infer<typeof ScreenOptions>;

/** Scores written per transaction, so an interrupted run keeps most of its work. */
const WRITE_EVERY = 32;

/** Counts and failures of one screening run. */
export interface ScreenResult {
  scored: number;
  /** Images that also got a CLIP score. */
  clipScored: number;
  /** Images that could not be read or decoded, with the reason; they get no score. */
  failed: { imageId: string; reason: string }[];
  model: string;
  /** CLIP model name, when a CLIP folder was given. */
  clipModel?: string;
}

/**
 * Scores every image of the split with the NSFW model and, with `clip`, with CLIP, and stores
 * the scores in the vote store (screens `nsfw` and `clip`). `serve --order likely-failure`,
 * `--skip-clear` and `consolidate` read them there. An unreadable image is logged, recorded in
 * `failed` and skipped.
 */
export async function screenDataset(
  options: ScreenOptions,
  progress: ProgressListener = silentProgress,
): Promise<ScreenResult> {
  // 1. Load the split and the models before touching the store.
  const dataset = await loadVerifyDataset(options.data);
  const items = [...dataset.items.values()].slice(0, options.limit);
  const clip = options.clip === undefined ? undefined : await loadClipScreen(options.clip, options.threads);
  const model = await loadNsfwModel();
  const db = openStore(storePath(options));
  const result: ScreenResult = { scored: 0, clipScored: 0, failed: [], model: model.name, clipModel: clip?.name };
  try {
    // 2. Score image by image, writing every WRITE_EVERY images.
    let nsfwScores = new Map<string, number>();
    let clipScores = new Map<string, number>();
    for (const [index, item] of items.entries()) {
      try {
        const bytes = await readFile(item.imagePath);
        nsfwScores.set(item.id, await model.score(bytes));
        result.scored += 1;
        if (clip !== undefined) {
          clipScores.set(item.id, await clip.score(bytes, item.className));
          result.clipScored += 1;
        }
      } catch (error) {
        const reason = (error as Error).message;
        logger().warn({ imageId: item.id, path: item.imagePath, error: reason }, "screen skipped an image");
        result.failed.push({ imageId: item.id, reason });
      }
      if (nsfwScores.size >= WRITE_EVERY || index === items.length - 1) {
        writeScores(db, model.name, nsfwScores, clip, clipScores);
        nsfwScores = new Map();
        clipScores = new Map();
      }
      progress({ stage: "screen", done: index + 1, total: items.length });
    }
  } finally {
    db.close();
    model.dispose();
    await clip?.release();
  }
  return result;
}

function writeScores(
  db: ReturnType<typeof openStore>,
  nsfwModel: string,
  nsfwScores: Map<string, number>,
  clip: ClipScreen | undefined,
  clipScores: Map<string, number>,
): void {
  writeScreen(db, "nsfw", nsfwModel, nsfwScores);
  if (clip !== undefined) writeScreen(db, "clip", clip.name, clipScores);
}
