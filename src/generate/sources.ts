import { readdir } from "node:fs/promises";
import { extname, join, parse } from "node:path";
import { UserError } from "../core/errors.js";
import { classByWnid, imagenetClasses, type ClassInfo } from "../data/imagenet.js";

/** A foreground class folder and its photos. */
export interface ForegroundClass {
  /** Folder name under the foregrounds folder: a WordNet id or a class index. */
  folder: string;
  info: ClassInfo;
  /** Photo file names in the folder, sorted. Decoding happens later, so bad files are listed. */
  files: string[];
}

/** Reads a folder's entries, with a UserError naming the folder and the option when missing. */
async function listFolder(folder: string, option: string) {
  try {
    return await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new UserError(`Cannot read ${option} folder ${folder}: ${(error as Error).message}`);
  }
}

/** Compares names so numbers sort numerically ("2" before "10") and others by UTF-16 code unit. */
export function compareNames(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b);
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Returns the ImageNet class of a folder named by WordNet id (`n01440764`) or index (`0`). */
export function classOfFolder(folder: string): ClassInfo | undefined {
  if (/^\d+$/.test(folder)) return imagenetClasses()[Number(folder)];
  return classByWnid(folder);
}

/**
 * Lists the class folders of an ImageNet-style foregrounds folder. Folder names must be
 * ImageNet-1k WordNet ids or class indices (0-999); hidden entries and loose files are ignored.
 */
export async function listForegrounds(folder: string): Promise<ForegroundClass[]> {
  const entries = await listFolder(folder, "--foregrounds");
  const classFolders = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort(compareNames);
  const classes: ForegroundClass[] = [];
  for (const name of classFolders) {
    const info = classOfFolder(name);
    if (info === undefined) {
      throw new UserError(
        `Foreground folder ${join(folder, name)} is neither an ImageNet-1k WordNet id (such as ` +
          `n01440764) nor a class index 0-999. Rename it, or move it out of ${folder}.`,
      );
    }
    classes.push({ folder: name, info, files: await listPhotos(join(folder, name)) });
  }
  if (classes.every((entry) => entry.files.length === 0)) {
    throw new UserError(
      `No photos found under ${folder}. Expected ${folder}/<WordNet id or class index>/<photo>.`,
    );
  }
  return classes;
}

/** Lists the files of a folder, sorted, leaving out hidden files and sub-folders. */
export async function listPhotos(folder: string): Promise<string[]> {
  const entries = await listFolder(folder, "photo");
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort(compareNames);
}

/** Background photos by folder key (`grass` -> [`grass/a.jpg`, ...]), paths relative to the root. */
export type BackgroundPhotos = Map<string, string[]>;

/** Lists `DIR/<key>/<photo>` for every key folder of a backgrounds folder. */
export async function listBackgrounds(folder: string): Promise<BackgroundPhotos> {
  const entries = await listFolder(folder, "--backgrounds");
  const photos: BackgroundPhotos = new Map();
  const keys = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort(compareNames);
  for (const key of keys) {
    const files = await listPhotos(join(folder, key));
    if (files.length > 0)
      photos.set(
        key,
        files.map((file) => `${key}/${file}`),
      );
  }
  if (photos.size === 0) {
    throw new UserError(
      `No background photos found under ${folder}. Expected ${folder}/<key>/<photo> with keys ` +
        "such as grass, road, forest, water, sand, indoors, snow, rain, night, cave.",
    );
  }
  return photos;
}

/**
 * Finds the mask of a foreground photo: `<masks>/<class folder>/<photo stem>.<extension>`,
 * preferring the extensions png, then any other. Returns the path relative to the masks root.
 */
export function findMask(
  maskFiles: Map<string, string[]>,
  classFolder: string,
  photo: string,
): string | undefined {
  const stem = parse(photo).name;
  const candidates = (maskFiles.get(classFolder) ?? []).filter((file) => parse(file).name === stem);
  const png = candidates.find((file) => extname(file).toLowerCase() === ".png");
  const chosen = png ?? candidates[0];
  return chosen === undefined ? undefined : `${classFolder}/${chosen}`;
}

/** Lists `DIR/<class folder>/<mask>` for the class folders that exist. */
export async function listMasks(
  folder: string,
  classFolders: string[],
): Promise<Map<string, string[]>> {
  await listFolder(folder, "--masks");
  const masks = new Map<string, string[]>();
  for (const classFolder of classFolders) {
    try {
      masks.set(classFolder, await listPhotos(join(folder, classFolder)));
    } catch {
      masks.set(classFolder, []);
    }
  }
  return masks;
}
