import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { writeFileAtomic } from "../../core/atomic.js";
import { imagenetClasses } from "../../data/imagenet.js";
import { loadClassDetails, type ClassDetails } from "../classes.js";
import { loadVerifyDataset, type VerifyDataset, type VerifyItem } from "../dataset.js";
import { readGuidePng } from "../guide.js";
import { BATCH_SIZE, QueueOptions, ScreenThresholds, StoreOptions, storePath } from "../options.js";
import { queueOrder } from "../queue.js";
import { openStore, readGold, readVotes } from "../store.js";
import { Random } from "../../core/rng.js";
import { escapeHtml } from "../../report/html.js";
import { hitTemplate, slotColumns } from "./template.js";

/** Options of `d3s verify export-mturk`. */
export const ExportOptions = StoreOptions.extend(QueueOptions.pick({ votes: true, goldPerBatch: true, order: true, skipClear: true }).shape)
  .extend(ScreenThresholds.shape)
  .extend({
    /** Public URL where the split folder is hosted; image paths are appended to it. */
    imageBaseUrl: z.string().url().refine((url) => /^https:\/\//.test(url), "MTurk shows only https images"),
    /**
     * Public URL of `<out>/guides/`, needed when guides are `--save-init` grids: the cropped
     * guides are written there for upload. Without it such guides are left out of the HITs.
     */
    guideBaseUrl: z
      .string()
      .url()
      .refine((url) => /^https:\/\//.test(url), "MTurk shows only https images")
      .optional(),
    /** Output folder for input.csv and hit.html. */
    out: z.string().min(1),
    /** Title shown on the HIT (default "Check generated images"). */
    title: z.string().min(1).default("Check generated images"),
  });
export type ExportOptions = z.infer<typeof ExportOptions>;

/** Counts and output paths of one MTurk export. */
export interface ExportResult {
  rows: number;
  images: number;
  inputCsv: string;
  hitHtml: string;
  /** Cropped guides written to `<out>/guides/` for upload to `--guide-base-url`. */
  guidesWritten: number;
  /** Images whose guide is a grid but no `--guide-base-url` was given; their HIT shows no guide. */
  guidesOmitted: number;
}

/**
 * Writes the HIT input CSV (one row per HIT, 25 image slots each: images that still need votes
 * plus gold images at random positions) and the HIT layout. Publish the HITs with
 * "assignments per HIT" set to the remaining votes; MTurk then gives each row to that many
 * different workers.
 */
export async function exportMturk(options: ExportOptions): Promise<ExportResult> {
  // 1. Load the split, the stored votes and the gold answers.
  const dataset = await loadVerifyDataset(options.data);
  const classes = await loadClassDetails(dataset, imagenetClasses());
  const db = openStore(storePath(options));
  const gold = readGold(db);
  const voteCounts = new Map<string, number>();
  for (const vote of readVotes(db)) voteCounts.set(vote.imageId, (voteCounts.get(vote.imageId) ?? 0) + 1);
  const queue = queueOrder(db, [...dataset.items.keys()], options);
  db.close();

  // 2. Fill rows with the images that still need votes, mixing gold in.
  const pending = queue.filter((imageId) => !gold.has(imageId) && (voteCounts.get(imageId) ?? 0) < options.votes);
  const goldIds = [...gold.keys()];
  const goldPerRow = Math.min(options.goldPerBatch, goldIds.length);
  const perRow = BATCH_SIZE - goldPerRow;
  const random = new Random(`mturk-export-${dataset.metadataPath}`);
  const rows: Record<string, string>[] = [];
  const guides = new GuideLinks(options, dataset.splitDir);
  for (let start = 0; start < pending.length; start += perRow) {
    const regular = pending.slice(start, start + perRow);
    const imageIds = random.shuffle([...regular, ...random.shuffle([...goldIds]).slice(0, goldPerRow)]);
    rows.push(await buildRow(`row-${rows.length}`, imageIds, options.imageBaseUrl, dataset, classes, guides));
  }

  // 3. Write the CSV and the HIT layout.
  const inputCsv = join(options.out, "input.csv");
  const hitHtml = join(options.out, "hit.html");
  const columns = ["batch_id", "items", ...Array.from({ length: BATCH_SIZE }, (_, i) => Object.values(slotColumns(i))).flat()];
  await writeFileAtomic(inputCsv, stringify(rows, { header: true, columns }));
  await writeFileAtomic(hitHtml, hitTemplate(options.title));
  return {
    rows: rows.length,
    images: pending.length,
    inputCsv,
    hitHtml,
    guidesWritten: guides.written.size,
    guidesOmitted: guides.omitted.size,
  };
}

/** Links guides: plain files by their place in the split, grids by a cropped copy under `<out>/guides/`. */
class GuideLinks {
  readonly written = new Set<string>();
  readonly omitted = new Set<string>();

  constructor(
    private readonly options: ExportOptions,
    private readonly splitDir: string,
  ) {}

  async url(item: VerifyItem): Promise<string> {
    if (item.guide === undefined) return "";
    if (!item.guide.grid) return fileUrl(this.options.imageBaseUrl, this.splitDir, item.guide.path);
    if (this.options.guideBaseUrl === undefined) {
      this.omitted.add(item.id);
      return "";
    }
    if (!this.written.has(item.id)) {
      await writeFileAtomic(join(this.options.out, "guides", `${item.id}.png`), await readGuidePng(item.guide));
      this.written.add(item.id);
    }
    const relative = `${item.id}.png`.split("/").map(encodeURIComponent).join("/");
    const base = this.options.guideBaseUrl;
    return new URL(relative, base.endsWith("/") ? base : `${base}/`).href;
  }
}

async function buildRow(
  batchId: string,
  imageIds: string[],
  baseUrl: string,
  dataset: VerifyDataset,
  classes: Map<number, ClassDetails>,
  guides: GuideLinks,
): Promise<Record<string, string>> {
  const row: Record<string, string> = { batch_id: batchId, items: JSON.stringify(imageIds) };
  for (let i = 0; i < BATCH_SIZE; i++) {
    const column = slotColumns(i);
    const item = imageIds[i] === undefined ? undefined : dataset.items.get(imageIds[i]);
    const details = item === undefined ? undefined : classes.get(item.entry.classIdx);
    row[column.image] = item === undefined ? "" : fileUrl(baseUrl, dataset.splitDir, item.imagePath);
    row[column.guide] = item === undefined ? "" : await guides.url(item);
    // NOTE: MTurk pastes ${column} values into the layout unescaped, so text is HTML-escaped here.
    row[column.className] = escapeHtml(details?.name ?? item?.className ?? "");
    row[column.definition] = escapeHtml(details?.definition ?? "");
  }
  return row;
}

/** Returns the public URL of a file inside the split folder, each path segment URL-encoded. */
function fileUrl(baseUrl: string, splitDir: string, path: string): string {
  const relative = path.slice(splitDir.length + 1).split("/").map(encodeURIComponent).join("/");
  return new URL(relative, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`).href;
}
