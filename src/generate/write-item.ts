import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../core/atomic.js";
import { backgroundIndex, backgroundKey } from "../data/backgrounds.js";
import type { RgbImage } from "../images/decode.js";
import { DATASET_PNG, encodePng } from "../images/encode.js";
import { makeGrid } from "../images/grid.js";
import type { Box } from "../images/resize.js";
import { manifestPath, type ItemManifest } from "./manifest.js";
import type { PlanItem } from "./plan.js";

/** The generator's output for one item. */
export interface ItemResult {
  item: PlanItem;
  guide: RgbImage;
  box: Box;
  /** Final image: the img2img output, or the guide itself for composites. */
  image: RgbImage;
  /** Generation arguments stored in the metadata entry's `args`. */
  args: Record<string, unknown>;
  hasInit: boolean;
  scheduler: string | null;
  timesteps: number[];
  modelHash: string | null;
  generator: string;
}

/**
 * Writes an item's PNG `<out>/<split>/<id>.png`, its guide|result grid when `saveInit` is set
 * (`<out>/init/<split>/<id>.png`, laid out as torchvision's make_grid with nrow 2 and padding
 * 2) and finally its manifest. The grids stay outside the split folder, which thus remains a
 * Hugging Face imagefolder. Each file is written atomically, and the manifest comes last, so
 * an item is either finished or runs again after a crash.
 */
export async function writeItem(
  out: string,
  split: string,
  result: ItemResult,
  saveInit: boolean,
): Promise<void> {
  const { item } = result;
  const image = `${split}/${item.id}.png`;
  const files = [image];
  await writeFileAtomic(join(out, image), await encodePng(result.image, DATASET_PNG));
  if (saveInit) {
    files.push(`init/${split}/${item.id}.png`);
    const grid = makeGrid([result.guide, result.image], 2, 2);
    await writeFileAtomic(join(out, files[1]), await encodePng(grid, DATASET_PNG));
  }
  const manifest = buildManifest(result, `${item.id}.png`, files);
  await writeJsonAtomic(manifestPath(join(out, split), item.id), manifest);
}

function buildManifest(result: ItemResult, image: string, files: string[]): ItemManifest {
  const { item } = result;
  const phrase = item.backgroundPhrase;
  return {
    id: item.id,
    entry: {
      image,
      classIdx: item.classInfo.index,
      prompt: item.prompt,
      args: { ...result.args, seed: item.seed, box: result.box },
      background: phrase,
      hasInit: result.hasInit,
      id: item.id,
      shift: item.shift,
      backgroundIdx: phrase === "" ? -1 : backgroundIndex(phrase),
      className: item.classInfo.name,
    },
    record: {
      file_name: image,
      label: item.classInfo.index,
      class_name: item.classInfo.name,
      background: phrase,
      background_key: phrase === "" ? "" : backgroundKey(phrase),
      prompt: item.prompt,
    },
    seed: item.seed,
    generator: result.generator,
    scheduler: result.scheduler,
    timesteps: result.timesteps,
    modelHash: result.modelHash,
    sources: {
      foreground: item.foreground,
      background: item.background ?? null,
      mask: item.mask ?? null,
    },
    files,
  };
}
