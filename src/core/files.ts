import { access } from "node:fs/promises";

/** Returns whether a file or folder exists and is accessible. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
