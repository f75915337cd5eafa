import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

const created: string[] = [];

// Registered when a test file imports this module, so the hook belongs to the file and runs
// after its last test, failed or not. Node 20 attaches an `after` called inside a test or a
// `before` hook to that test or hook, which would remove a folder that later tests still use.
after(async () => {
  const folders = created.splice(0);
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

/**
 * Creates an empty folder `<prefix>XXXXXX` in the system temporary folder and removes it, with
 * its contents, once the calling test file has finished. Import this module statically.
 */
export async function temporaryFolder(prefix: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), prefix));
  created.push(folder);
  return folder;
}
