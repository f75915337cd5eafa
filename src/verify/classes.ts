import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../core/errors.js";
import type { VerifyDataset } from "./dataset.js";

/** Example photos shown per class (default 3). */
export const EXAMPLES_PER_CLASS = 3;

const PHOTO_EXTENSION = /\.(png|jpe?g|webp)$/i;

/** Name, definition and example photos of one class, as shown to annotators. */
export interface ClassDetails {
  classIdx: number;
  name: string;
  definition?: string;
  wnid?: string;
  /** Absolute paths of example photos, at most EXAMPLES_PER_CLASS. */
  examples: string[];
}

/** A class description from a catalogue such as the ImageNet class list. */
export interface ClassDescription {
  index: number;
  name: string;
  definition?: string;
  wnid?: string;
  synonyms?: string[];
}

/**
 * Collects the details of every class in the split. Example photos come from
 * `<foregrounds>/<folder>/`, where the folder is the class wnid, its index or its name, ignoring
 * case and treating `_` as a space. A class without a folder gets no examples.
 */
export async function loadClassDetails(
  dataset: VerifyDataset,
  catalogue: ClassDescription[],
  foregrounds?: string,
): Promise<Map<number, ClassDetails>> {
  const byIndex = new Map(catalogue.map((description) => [description.index, description]));
  const folders = foregrounds === undefined ? new Map() : await listFolders(foregrounds);
  const details = new Map<number, ClassDetails>();
  for (const item of dataset.items.values()) {
    const classIdx = item.entry.classIdx;
    if (details.has(classIdx)) continue;
    const description = matchingDescription(byIndex.get(classIdx), item.entry.className);
    const name = item.entry.className ?? description?.name ?? `class ${classIdx}`;
    const keys = [description?.wnid, String(classIdx), name, description?.name];
    const folder = keys.map((key) => key && folders.get(folderKey(key))).find(Boolean);
    const examples = folder ? await listPhotos(folder) : [];
    details.set(classIdx, { classIdx, name, definition: description?.definition, wnid: description?.wnid, examples });
  }
  return details;
}

/**
 * Returns the catalogue entry unless the metadata names a different class, as a custom label
 * space does; then its definition would describe the wrong object.
 */
function matchingDescription(
  description: ClassDescription | undefined,
  className: string | undefined,
): ClassDescription | undefined {
  if (description === undefined || className === undefined) return description;
  const names = [description.name, ...(description.synonyms ?? [])].map(folderKey);
  return names.includes(folderKey(className)) ? description : undefined;
}

function folderKey(name: string): string {
  return name.toLowerCase().replace(/[_\s]+/g, " ").trim();
}

async function listFolders(root: string): Promise<Map<string, string>> {
  if (!existsSync(root)) throw new UserError(`--foregrounds folder ${root} does not exist.`);
  const folders = new Map<string, string>();
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.isDirectory()) folders.set(folderKey(entry.name), join(root, entry.name));
  }
  return folders;
}

async function listPhotos(folder: string): Promise<string[]> {
  const names = (await readdir(folder)).filter((name) => PHOTO_EXTENSION.test(name)).sort();
  return names.slice(0, EXAMPLES_PER_CLASS).map((name) => join(folder, name));
}
