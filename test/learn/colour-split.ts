import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { BACKGROUNDS } from "../../src/data/backgrounds.js";

/**
 * Writes a `train` split of 12 solid-colour 16x16 PNG images under `dir`: the class is the
 * colour (red, green, blue), the background is the image index mod 2.
 */
export async function writeColourSplit(dir: string): Promise<void> {
  const folder = join(dir, "train", "mini");
  await mkdir(folder, { recursive: true });
  const entries = [];
  for (let i = 0; i < 12; i++) {
    const classIdx = i % 3;
    const colour = { r: classIdx === 0 ? 255 : 0, g: classIdx === 1 ? 255 : 0, b: classIdx === 2 ? 255 : 0 };
    await sharp({ create: { width: 16, height: 16, channels: 3, background: colour } })
      .png()
      .toFile(join(folder, `${i}.png`));
    entries.push({
      image: `mini/${i}.png`,
      classIdx,
      prompt: "",
      args: {},
      background: BACKGROUNDS[i % 2].phrase,
      hasInit: false,
      id: String(i),
      shift: "mini",
      backgroundIdx: i % 2,
    });
  }
  await writeFile(join(dir, "train", "metadata.json"), JSON.stringify(entries));
}
