import { readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join, relative, resolve } from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.js";
import { backgroundKey } from "../data/backgrounds.js";
import { SplitMetadata } from "../data/metadata.js";
import { classFolderLabels } from "./class-order.js";
import type { CropWindow } from "./resample.js";

/** One image to classify. */
export interface EvalItem {
  /** Absolute path of the image file. */
  path: string;
  /** Path relative to the dataset root, as results and the report show it. */
  file: string;
  /** Label index in the dataset's label space. */
  label: number;
  /** Background key (`snow`, `grass`, ...), or `reference` for ImageFolder sets. */
  background: string;
  /** Region of the decoded image that contains the sample. None means the whole image. */
  crop?: CropWindow;
  /** Decoded size that the crop expects. Images of another size are skipped as unreadable. */
  expectedSize?: { width: number; height: number };
}

/** Folder layouts that `loadDataset` reads. */
export type DatasetLayout = "d3s" | "released" | "imagefolder";

/** A list of images with labels. */
export interface Dataset {
  root: string;
  layout: DatasetLayout;
  items: EvalItem[];
}

/**
 * Released D3S images are [guide | generated] grids of 1030x516 with a 2 px border. The
 * generated half spans x 516..1027 and y 2..513 (inclusive), a 512x512 square.
 */
export const RELEASED_GRID = { width: 1030, height: 516 } as const;
export const RELEASED_CROP: CropWindow = { left: 516, top: 2, width: 512, height: 512 };

/** The six fields of the released D3S `metadata.json` that d3s reads. */
const ReleasedEntry = z.object({
  image: z.string(),
  classIdx: z.number().int().nonnegative(),
  background: z.string(),
});
const ReleasedMetadata = z.array(ReleasedEntry);

const NOT_IMAGES = new Set([".json", ".jsonl", ".txt", ".csv", ".md", ".yaml", ".yml"]);

/**
 * Loads a dataset folder. A folder (or file) with `metadata.json` is a d3s split or, when its
 * entries lack the d3s `id` field, the released D3S layout. Any other folder is read as an
 * ImageFolder set: `ROOT/<class>/<image>`. `layout` forces one reading. Errors name `flag`, the
 * command-line option that gave the path (default `--dataset`).
 */
export async function loadDataset(
  path: string,
  layout?: DatasetLayout,
  flag = "--dataset",
): Promise<Dataset> {
  try {
    return await readDataset(path, layout);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(`Invalid ${flag} ${path}: ${error.message}`);
  }
}

async function readDataset(path: string, layout: DatasetLayout | undefined): Promise<Dataset> {
  const root = resolve(path);
  const info = await stat(root).catch(() => undefined);
  if (info === undefined) {
    throw new UserError(`No such folder (${root}). Check the path or create the folder.`);
  }
  const metadataPath = info.isFile() ? root : join(root, "metadata.json");
  const folder = info.isFile() ? resolve(root, "..") : root;
  const hasMetadata = await stat(metadataPath).then(
    (s) => s.isFile(),
    () => false,
  );
  if (layout === "imagefolder" || (!hasMetadata && layout === undefined)) {
    return loadImageFolder(folder);
  }
  if (!hasMetadata) {
    throw new UserError(`No metadata.json, which a ${layout} dataset needs. Pass the split folder.`);
  }
  return loadMetadataDataset(folder, metadataPath, layout);
}

async function loadMetadataDataset(
  folder: string,
  metadataPath: string,
  layout: DatasetLayout | undefined,
): Promise<Dataset> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(metadataPath, "utf8"));
  } catch (error) {
    throw new UserError(`Cannot read ${metadataPath}: ${(error as Error).message}`);
  }
  const d3s = SplitMetadata.safeParse(json);
  if (d3s.success && layout !== "released") {
    const items = d3s.data.map((entry) => ({
      path: join(folder, entry.image),
      file: entry.image,
      label: entry.classIdx,
      background: backgroundKey(entry.background),
    }));
    return { root: folder, layout: "d3s", items };
  }
  const released = ReleasedMetadata.safeParse(json);
  if (!released.success) {
    const issue = released.error.issues[0];
    throw new UserError(
      `${metadataPath} is neither d3s nor released D3S metadata (${issue.path.join(".")}: ${issue.message}).`,
    );
  }
  const items = released.data.map((entry) => ({
    path: join(folder, entry.image),
    file: entry.image,
    label: entry.classIdx,
    background: backgroundKey(entry.background),
    crop: RELEASED_CROP,
    expectedSize: RELEASED_GRID,
  }));
  return { root: folder, layout: "released", items };
}

async function loadImageFolder(root: string): Promise<Dataset> {
  const entries = await readdir(root, { withFileTypes: true });
  const folders = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name);
  const classes = classFolderLabels(folders);
  const items: EvalItem[] = [];
  for (const { folder, label } of classes) {
    const files = (await readdir(join(root, folder), { withFileTypes: true }))
      .filter((entry) => entry.isFile() && !entry.name.startsWith("."))
      .filter((entry) => !NOT_IMAGES.has(extname(entry.name).toLowerCase()))
      .map((entry) => entry.name)
      .sort();
    for (const name of files) {
      const path = join(root, folder, name);
      items.push({ path, file: relative(root, path), label, background: "reference" });
    }
  }
  if (items.length === 0) {
    throw new UserError(`The class folders of ${basename(root)} contain no files. Put images in ROOT/<class>/.`);
  }
  return { root, layout: "imagefolder", items };
}
