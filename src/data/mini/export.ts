import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../../core/atomic.js";
import type { ProgressListener } from "../../core/progress.js";
import { silentProgress } from "../../core/progress.js";
import { encodePng } from "../../images/encode.js";
import { BACKGROUNDS } from "../backgrounds.js";
import type { MiniSplit } from "./dataset.js";

/**
 * Writes a split in the d3s dataset layout: OUT/<split>/<shift>/<id>.png, then
 * OUT/<split>/metadata.json (SplitMetadata) and OUT/<split>/metadata.jsonl (Hugging Face
 * imagefolder). The metadata files come last, so a reader never lists a missing image.
 */
export async function writeMiniSplit(
  outDir: string,
  split: MiniSplit,
  progress: ProgressListener = silentProgress,
): Promise<string> {
  const folder = join(outDir, split.name);
  const pixels = split.size * split.size * 3;
  for (const [k, entry] of split.entries.entries()) {
    const image = {
      data: split.images.subarray(k * pixels, (k + 1) * pixels),
      width: split.size,
      height: split.size,
    };
    await writeFileAtomic(join(folder, entry.image), await encodePng(image));
    progress({ stage: `write ${split.name}`, done: k + 1, total: split.entries.length });
  }
  const lines = split.entries.map((entry) =>
    JSON.stringify({
      file_name: entry.image,
      label: entry.classIdx,
      class_name: entry.className,
      background: entry.background,
      background_key: BACKGROUNDS[entry.backgroundIdx].key,
      prompt: entry.prompt,
    }),
  );
  await writeJsonAtomic(join(folder, "metadata.json"), split.entries);
  await writeFileAtomic(join(folder, "metadata.jsonl"), `${lines.join("\n")}\n`);
  return folder;
}
