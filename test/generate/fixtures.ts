import { cp, readFile, readdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { temporaryFolder as removedAfterFile } from "../support/temporary.js";

/** Root of the repository, where the example photos live. */
export const REPO = join(import.meta.dirname, "..", "..");
export const EXAMPLE_FOREGROUNDS = join(REPO, "examples", "foregrounds");
export const EXAMPLE_BACKGROUNDS = join(REPO, "examples", "backgrounds");
export const EXAMPLE_RECIPE = join(REPO, "examples", "four-backgrounds.yaml");

/** Creates an empty temporary folder, removed once the test file has finished. */
export function temporaryFolder(prefix = "d3s-generate-"): Promise<string> {
  return removedAfterFile(prefix);
}

/**
 * Copies the example foregrounds and adds two bad files to the eagle class: a JPEG cut in
 * half and a text file named like a photo.
 */
export async function foregroundsWithBadFiles(folder: string): Promise<string> {
  const target = join(folder, "foregrounds");
  await cp(EXAMPLE_FOREGROUNDS, target, { recursive: true });
  const eagle = await readFile(join(target, "n01614925", "eagle.jpg"));
  await writeFile(join(target, "n01614925", "truncated.jpg"), eagle.subarray(0, eagle.length >> 1));
  await writeFile(join(target, "n01614925", "notes.jpg"), "not an image\n");
  return target;
}

/** Reads every file under a folder into a map from relative path to bytes. */
export async function readTree(folder: string): Promise<Map<string, Buffer>> {
  const files = await readdir(folder, { recursive: true, withFileTypes: true });
  const tree = new Map<string, Buffer>();
  for (const file of files) {
    if (!file.isFile()) continue;
    const path = join(file.parentPath, file.name);
    tree.set(relative(folder, path), await readFile(path));
  }
  return tree;
}

/** Returns the paths of a tree whose bytes differ from a reference tree, or that are missing. */
export function differingFiles(
  reference: Map<string, Buffer>,
  other: Map<string, Buffer>,
): string[] {
  const paths = new Set([...reference.keys(), ...other.keys()]);
  return [...paths].filter((path) => {
    const a = reference.get(path);
    const b = other.get(path);
    return a === undefined || b === undefined || !a.equals(b);
  });
}
