import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { isAbsolute, join, normalize, resolve, sep } from "node:path";
import { UserError } from "../core/errors.js";
import { SplitMetadata, type MetadataEntry } from "../data/metadata.js";
import { findGuide, type GuideSource } from "./guide.js";

/**
 * Image ids as `d3s generate` writes them (`<shift>/<photo>_<variant>`): `/`-separated segments
 * of letters, digits, `.`, `_` and `-`, no segment starting with `.`, at most 200 characters.
 * URLs carry them percent-encoded and the server only looks them up, never joins them to a path.
 */
export const IMAGE_ID_PATTERN = /^(?=.{1,200}$)[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;

/** One image of the split, resolved to files on disk. */
export interface VerifyItem {
  id: string;
  entry: MetadataEntry;
  /** Absolute path of the generated image. */
  imagePath: string;
  /** The guide (init) image, when one exists. */
  guide?: GuideSource;
  className: string;
}

/** A split loaded for verification: its metadata and its items by id, in file order. */
export interface VerifyDataset {
  splitDir: string;
  metadataPath: string;
  entries: MetadataEntry[];
  items: Map<string, VerifyItem>;
}

/**
 * Loads `<splitDir>/metadata.json`, checks every entry (unique URL-safe ids, image paths inside
 * the split folder) and finds each image's guide.
 */
export async function loadVerifyDataset(folder: string): Promise<VerifyDataset> {
  const splitDir = resolve(folder);
  const metadataPath = join(splitDir, "metadata.json");
  const entries = await readMetadata(splitDir, metadataPath);
  const items = new Map<string, VerifyItem>();
  for (const entry of entries) {
    if (!IMAGE_ID_PATTERN.test(entry.id)) {
      throw new UserError(
        `Invalid image id ${JSON.stringify(entry.id)} in ${metadataPath}: use "/"-separated parts of letters, digits, ".", "_" and "-" (at most 200 characters).`,
      );
    }
    if (items.has(entry.id)) {
      throw new UserError(`Duplicate image id ${JSON.stringify(entry.id)} in ${metadataPath}.`);
    }
    const imagePath = resolveInside(splitDir, entry.image, metadataPath);
    const guide = await findGuide(splitDir, entry);
    const className = entry.className ?? `class ${entry.classIdx}`;
    items.set(entry.id, { id: entry.id, entry, imagePath, guide, className });
  }
  return { splitDir, metadataPath, entries, items };
}

async function readMetadata(splitDir: string, metadataPath: string): Promise<MetadataEntry[]> {
  if (!existsSync(metadataPath)) throw new UserError(await missingMetadataMessage(splitDir));
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(metadataPath, "utf8"));
  } catch (error) {
    throw new UserError(`Invalid JSON in ${metadataPath}: ${(error as Error).message}.`);
  }
  const parsed = SplitMetadata.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      `Invalid ${metadataPath} at ${issue.path.join(".")}: ${issue.message}. Regenerate it with d3s generate.`,
    );
  }
  return parsed.data;
}

async function missingMetadataMessage(splitDir: string): Promise<string> {
  if (!existsSync(splitDir)) {
    return `--data folder ${splitDir} does not exist. Pass a split folder written by d3s generate (it contains metadata.json).`;
  }
  const splits: string[] = [];
  for (const entry of await readdir(splitDir, { withFileTypes: true })) {
    if (entry.isDirectory() && existsSync(join(splitDir, entry.name, "metadata.json"))) {
      splits.push(join(splitDir, entry.name));
    }
  }
  const hint = splits.length > 0 ? ` Pass a split folder instead: ${splits.join(", ")}.` : "";
  return `--data folder ${splitDir} has no metadata.json.${hint}`;
}

/**
 * Returns the absolute path of `relative` inside `root`, rejecting absolute paths and `..`
 * segments, so metadata cannot point the server at files outside the split.
 */
export function resolveInside(root: string, relative: string, source: string): string {
  const cleaned = normalize(relative);
  if (isAbsolute(relative) || cleaned === ".." || cleaned.startsWith(`..${sep}`)) {
    throw new UserError(
      `Image path ${JSON.stringify(relative)} in ${source} leaves the split folder; paths must be relative to ${root}.`,
    );
  }
  return join(root, cleaned);
}
