import { readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { z } from "zod";
import { writeFileAtomic, writeJsonAtomic } from "../core/atomic.js";
import { logger } from "../core/log.js";
import { MetadataEntry } from "../data/metadata.js";

/** One line of `metadata.jsonl`, the Hugging Face imagefolder metadata format. */
export const JsonlRecord = z.object({
  file_name: z.string(),
  label: z.number().int(),
  class_name: z.string(),
  background: z.string(),
  background_key: z.string(),
  prompt: z.string(),
});
export type JsonlRecord = z.infer<typeof JsonlRecord>;

/**
 * The record of one finished item, `<split>/manifests/<id>.json`. It is written last, after the
 * item's images, so its presence marks the item done, and metadata.json is rebuilt from these
 * files (a run killed at any point loses nothing that was finished).
 */
export const ItemManifest = z.object({
  id: z.string(),
  entry: MetadataEntry,
  record: JsonlRecord,
  seed: z.string(),
  generator: z.string(),
  /** Scheduler name and the UNet timesteps run; null and [] for composites. */
  scheduler: z.string().nullable(),
  timesteps: z.array(z.number()),
  /** sha256 of the diffusion model folder; null for composites. */
  modelHash: z.string().nullable(),
  /** Source files, relative to the foregrounds, backgrounds and masks folders. */
  sources: z.object({
    foreground: z.string(),
    background: z.string().nullable(),
    mask: z.string().nullable(),
  }),
  /** Files written for the item, relative to the output folder. */
  files: z.array(z.string()),
});
export type ItemManifest = z.infer<typeof ItemManifest>;

/** Returns the manifest path of an item. */
export function manifestPath(splitFolder: string, id: string): string {
  return join(splitFolder, "manifests", `${id}.json`);
}

/**
 * Reads every valid manifest under `<split>/manifests`. An unreadable or invalid manifest is
 * logged and left out, so its item counts as unfinished and runs again.
 */
export async function readManifests(splitFolder: string): Promise<Map<string, ItemManifest>> {
  const root = join(splitFolder, "manifests");
  const manifests = new Map<string, ItemManifest>();
  let files: string[];
  try {
    files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith(".json"));
  } catch {
    return manifests;
  }
  for (const file of files) {
    try {
      const manifest = ItemManifest.parse(JSON.parse(await readFile(join(root, file), "utf8")));
      if (`${manifest.id}.json` === relative(root, join(root, file)).split("\\").join("/")) {
        manifests.set(manifest.id, manifest);
      }
    } catch (error) {
      logger().warn(
        { file: join(root, file), error: String(error) },
        "invalid item manifest; the item will run again",
      );
    }
  }
  return manifests;
}

/**
 * Writes `metadata.json` and `metadata.jsonl` of a split from its manifests, sorted by id, so
 * sharded and unsharded runs of one plan give the same files.
 */
export async function writeSplitMetadata(splitFolder: string): Promise<number> {
  const manifests = [...(await readManifests(splitFolder)).values()];
  manifests.sort((a, b) => compareIds(a.id, b.id));
  await writeJsonAtomic(
    join(splitFolder, "metadata.json"),
    manifests.map((manifest) => manifest.entry),
  );
  const lines = manifests.map((manifest) => `${JSON.stringify(manifest.record)}\n`);
  await writeFileAtomic(join(splitFolder, "metadata.jsonl"), lines.join(""));
  return manifests.length;
}

/** Orders ids by UTF-16 code units, the same on every machine and locale. */
function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
