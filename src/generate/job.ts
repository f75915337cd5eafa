import { access } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeJsonAtomic } from "../core/atomic.js";
import { hashBytes } from "../core/hash.js";
import { UserError, errorMessage } from "../core/errors.js";
import { logger } from "../core/log.js";
import { silentProgress, type ProgressListener } from "../core/progress.js";
import { ImageDecodeError } from "../images/decode.js";
import { openGenerator, type BatchOutcome, type PreparedItem } from "./generators.js";
import { manifestPath, readManifests, writeSplitMetadata } from "./manifest.js";
import { loadMaskModel } from "./mask-model.js";
import { GenerateOptions, type GenerateOptionsInput } from "./options.js";
import { PhotoCache } from "./photo-cache.js";
import { checkUniqueIds, planItems, shardItems, type PlanItem } from "./plan.js";
import { loadRecipe } from "./recipe.js";
import { renderGuide, type GuideContext } from "./render-guide.js";
import { runOnQueue } from "./queue.js";
import { byteSettings, checkRunSettings, recordRunSettings } from "./run-settings.js";
import { listBackgrounds, listForegrounds, listMasks } from "./sources.js";
import { writeItem } from "./write-item.js";

/** An item that was not generated, and why. */
export interface SkippedItem {
  id: string;
  foreground: string;
  reason: string;
}

/** Counts and timing of one `d3s generate` run. */
export interface GenerateSummary {
  splitFolder: string;
  /** Items in the whole plan, over all shards. */
  planned: number;
  /** Items of this shard. */
  shardItems: number;
  /** Items of this shard finished by earlier runs and not redone. */
  alreadyDone: number;
  /** Items finished by this run. */
  done: number;
  skipped: SkippedItem[];
  /** Entries in the rebuilt metadata.json (all shards' finished items in this folder). */
  metadataEntries: number;
  wallSeconds: number;
  imagesPerSecond: number;
}

/** Seconds between rebuilds of metadata.json while a long run goes on. */
const METADATA_REFRESH_SECONDS = 60;

/**
 * Runs `d3s generate`: plans the items, skips finished ones, draws the guides, runs the
 * generator and writes images, manifests and metadata. Safe to kill at any point and re-run.
 */
export async function runGenerate(
  input: GenerateOptionsInput,
  progress: ProgressListener = silentProgress,
): Promise<GenerateSummary> {
  const startedAt = performance.now();

  // 1. Validate every option before any file or model is opened.
  const options = parseGenerateOptions(input);

  // 2. Load the recipes and list the source photos.
  const recipes = await Promise.all(options.recipes.map((recipe) => loadRecipe(recipe)));
  checkDistinctShifts(recipes.map((recipe) => recipe.shift));
  const foregrounds = await listForegrounds(options.foregrounds);
  const backgrounds = await listBackgrounds(options.backgrounds);
  const folders = foregrounds.map((entry) => entry.folder);
  const maskFiles =
    options.masks === undefined ? undefined : await listMasks(options.masks, folders);

  // 3. Plan every item, then keep this shard's share.
  const hasMasks = options.masks !== undefined || options.maskModel !== undefined;
  const plan = planItems({
    recipes,
    foregrounds,
    backgrounds,
    maskFiles,
    maskModel: options.maskModel !== undefined,
    variants: options.generator === "composite" && hasMasks,
    runSeed: options.seed,
  });
  checkUniqueIds(plan);
  const shardPlan = shardItems(plan, options.shard);

  // 4. Skip the items that earlier runs finished.
  const splitFolder = join(options.out, options.split);
  await checkRunSettings(splitFolder, options);
  const finished = await readManifests(splitFolder);
  const unfinished = shardPlan.filter((item) => !finished.has(item.id));
  const pending = unfinished.slice(0, options.limit ?? unfinished.length);
  const alreadyDone = shardPlan.length - unfinished.length;
  logger().info({ planned: plan.length, shard: shardPlan.length, alreadyDone }, "generation plan");

  // 5. Open the models: the mask model and the diffusion pipeline.
  const maskModel =
    options.maskModel === undefined
      ? undefined
      : await loadMaskModel(options.maskModel, {
          device: options.device,
          threads: options.threads,
          threshold: options.maskThreshold,
          normalize: options.maskNormalize,
        });
  const generator = await openGenerator(options);
  const modelHash = generator.modelHash ?? undefined;
  await checkRunSettings(splitFolder, options, modelHash);
  await recordRunSettings(splitFolder, options, modelHash);
  const context: GuideContext = {
    foregrounds: options.foregrounds,
    backgrounds: options.backgrounds,
    masks: options.masks,
    maskModel,
    photos: new PhotoCache(),
    size: options.size,
    fgScale: options.fgScale,
  };

  // 6. Generate batch by batch: draw guides, run the generator, write each finished item.
  //    With --queue, the batches come from a Redis queue that several machines share.
  const skipped: SkippedItem[] = [];
  let done = 0;
  let attempted = 0;
  let lastRefresh = performance.now();
  const status =
    options.queue === undefined ? `${alreadyDone} already finished` : "shared queue";
  progress({ stage: "generate", done: 0, total: pending.length, status });
  const generate = async (prepared: PreparedItem[]): Promise<BatchOutcome> =>
    prepared.length === 0 ? { results: [], skipped: [] } : generator.run(prepared);
  const record = async (batch: PlanItem[], outcome: BatchOutcome): Promise<void> => {
    for (const { item, reason } of outcome.skipped) {
      logger().warn({ id: item.id, reason }, "item skipped");
      skipped.push(skippedItem(item, reason));
    }
    const writes = outcome.results.map((result) =>
      writeItem(options.out, options.split, result, options.saveInit),
    );
    await Promise.all(writes);
    done += outcome.results.length;
    attempted += batch.length;
    progress({ stage: "generate", done: attempted, total: pending.length, status });
    if ((performance.now() - lastRefresh) / 1000 > METADATA_REFRESH_SECONDS) {
      await writeSplitMetadata(splitFolder);
      lastRefresh = performance.now();
    }
  };
  const processBatch = async (batch: PlanItem[]): Promise<void> =>
    record(batch, await generate(await prepareBatch(batch, context, skipped)));
  if (options.queue === undefined) {
    // Three batches are in flight: the guides of batch k + 1 are drawn and the files of batch
    // k - 1 are encoded and written while the generator runs batch k. sharp decodes, resizes
    // and encodes on libuv threads, so that work overlaps the ONNX Runtime calls. Each item's
    // manifest is still written after its image, so a crash loses no finished item.
    const batches: PlanItem[][] = [];
    for (let start = 0; start < pending.length; start += generator.batchSize) {
      batches.push(pending.slice(start, start + generator.batchSize));
    }
    let next = batches.length > 0 ? prepareBatch(batches[0], context, skipped) : undefined;
    let recording: Promise<void> = Promise.resolve();
    try {
      for (let k = 0; k < batches.length && next !== undefined; k++) {
        const prepared = await next;
        next = k + 1 < batches.length ? prepareBatch(batches[k + 1], context, skipped) : undefined;
        // Both are awaited in the next round; a failure meanwhile must not count as unhandled.
        next?.catch(() => undefined);
        const outcome = await generate(prepared);
        await recording;
        recording = record(batches[k], outcome);
        recording.catch(() => undefined);
      }
    } finally {
      // The last writes finish (or fail) before the job returns or raises.
      await recording.catch(() => undefined);
    }
    await recording;
  } else {
    const settingsKey = hashBytes(JSON.stringify([splitFolder, byteSettings(options, modelHash)]));
    // A machine that starts late adds the jobs again. Finished jobs are removed from the queue
    // (removeOnComplete), so BullMQ runs such a job again. Items with a manifest are left out.
    const processUnfinished = async (batch: PlanItem[]): Promise<void> => {
      const open = await unfinishedItems(batch, splitFolder);
      if (open.length > 0) await processBatch(open);
    };
    const failed = await runOnQueue(
      pending,
      { url: options.queue, batchSize: generator.batchSize, settingsKey },
      processUnfinished,
    );
    const byId = new Map(pending.map((item) => [item.id, item]));
    for (const job of failed) {
      for (const id of job.ids) {
        const item = byId.get(id);
        if (item !== undefined) skipped.push(skippedItem(item, `queue job failed: ${job.reason}`));
      }
    }
  }

  // 7. Rebuild the split metadata from all manifests and record what was skipped.
  const metadataEntries = await writeSplitMetadata(splitFolder);
  const { index, count } = options.shard;
  const skippedFile = count === 1 ? "skipped.json" : `skipped-shard-${index}-of-${count}.json`;
  await writeJsonAtomic(join(splitFolder, skippedFile), skipped);
  const wallSeconds = (performance.now() - startedAt) / 1000;
  return {
    splitFolder,
    planned: plan.length,
    shardItems: shardPlan.length,
    alreadyDone,
    done,
    skipped,
    metadataEntries,
    wallSeconds,
    imagesPerSecond: done / Math.max(wallSeconds, 1e-9),
  };
}

/** Parses options with zod; the first problem becomes a UserError naming the CLI flag. */
export function parseGenerateOptions(input: GenerateOptionsInput): GenerateOptions {
  const parsed = GenerateOptions.safeParse(input);
  if (parsed.success) return parsed.data;
  const messages = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "options");
    const flag = `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    const value = (input as Record<string, unknown>)[key];
    const quotedValue = value === undefined ? "" : ` ${JSON.stringify(value)}`;
    return `Invalid ${flag}${quotedValue}: ${issue.message}.`;
  });
  throw new UserError(messages.join(" "));
}

function checkDistinctShifts(shifts: string[]): void {
  const repeated = shifts.find((shift, i) => shifts.indexOf(shift) !== i);
  if (repeated !== undefined) {
    throw new UserError(
      `Two recipes have the shift name "${repeated}"; give each recipe its own shift.`,
    );
  }
}

/** Returns the items of a batch that have no manifest yet, in order. */
async function unfinishedItems(batch: PlanItem[], splitFolder: string): Promise<PlanItem[]> {
  const finished = await Promise.all(
    batch.map((item) =>
      access(manifestPath(splitFolder, item.id)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return batch.filter((_, i) => !finished[i]);
}

/** Draws the guides of a batch concurrently; items with bad files are recorded and left out. */
async function prepareBatch(
  batch: PlanItem[],
  context: GuideContext,
  skipped: SkippedItem[],
): Promise<PreparedItem[]> {
  const drawn = await Promise.all(
    batch.map(async (item) => {
      if (item.problem !== undefined) return skippedItem(item, item.problem);
      try {
        return { item, guide: await renderGuide(item, context) };
      } catch (error) {
        if (!(error instanceof ImageDecodeError)) throw error;
        return skippedItem(item, errorMessage(error));
      }
    }),
  );
  const prepared: PreparedItem[] = [];
  for (const entry of drawn) {
    if ("reason" in entry) {
      // A bad photo fails every variant of it: log each reason once, the summary lists all.
      if (!skipped.some((earlier) => earlier.reason === entry.reason)) {
        logger().warn(entry, "item skipped");
      }
      skipped.push(entry);
    } else {
      prepared.push(entry);
    }
  }
  return prepared;
}

function skippedItem(item: PlanItem, reason: string): SkippedItem {
  return { id: item.id, foreground: item.foreground, reason };
}
