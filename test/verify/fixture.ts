import { rmSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import type { MetadataEntry } from "../../src/data/metadata.js";
import { makeGrid } from "../../src/images/grid.js";
import { encodePng } from "../../src/images/encode.js";
import type { RgbImage } from "../../src/images/decode.js";
import { logger } from "../../src/core/log.js";

// The server logs every rejected request, and the tests make many on purpose; set
// D3S_LOG_LEVEL=warn to see them.
logger().level = process.env.D3S_LOG_LEVEL ?? "silent";

const createdRoots: string[] = [];
process.on("exit", () => {
  for (const root of createdRoots) rmSync(root, { recursive: true, force: true });
});

/** Creates a temporary folder that is removed when the test process exits. */
export async function temporaryRoot(prefix: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  createdRoots.push(root);
  return root;
}

/** ImageNet classes used by the fixtures, with names as in src/data/imagenet-classes.json. */
export const FIXTURE_CLASSES = [
  { classIdx: 1, className: "goldfish", wnid: "n01443537" },
  { classIdx: 207, className: "golden retriever", wnid: "n02099601" },
] as const;

/** Options of makeDataset. */
export interface FixtureOptions {
  /** Number of images (default 30). */
  count?: number;
  /** Write a guide beside each even-numbered image as `<stem>.guide.png` (default true). */
  guides?: boolean;
}

/** A fixture split in a fresh temporary folder. */
export interface Fixture {
  root: string;
  splitDir: string;
  foregrounds: string;
  entries: MetadataEntry[];
}

async function solidPng(red: number, green: number, blue: number, size = 16): Promise<Buffer> {
  return sharp({ create: { width: size, height: size, channels: 3, background: { r: red, g: green, b: blue } } })
    .png()
    .toBuffer();
}

/**
 * Writes a split of small solid-colour PNGs (ids `img-000`...), alternating between the fixture
 * classes, with metadata.json, guides for even images and two example photos per class.
 */
export async function makeDataset(options: FixtureOptions = {}): Promise<Fixture> {
  const count = options.count ?? 30;
  const root = await temporaryRoot("d3s-verify-");
  const splitDir = join(root, "val");
  await mkdir(join(splitDir, "background-shift"), { recursive: true });
  const entries: MetadataEntry[] = [];
  for (let i = 0; i < count; i++) {
    const id = `img-${String(i).padStart(3, "0")}`;
    const image = `background-shift/${id}.png`;
    const klass = FIXTURE_CLASSES[i % FIXTURE_CLASSES.length];
    await writeFile(join(splitDir, image), await solidPng((i * 37) % 256, (i * 91) % 256, 128));
    if ((options.guides ?? true) && i % 2 === 0) {
      await writeFile(join(splitDir, `background-shift/${id}.guide.png`), await solidPng(200, 200, (i * 13) % 256));
    }
    entries.push({
      image,
      classIdx: klass.classIdx,
      className: klass.className,
      prompt: `a photo of a ${klass.className} in snow`,
      args: { seed: String(i), strength: 0.8 },
      background: "in snow",
      hasInit: true,
      id,
      shift: "background-shift",
      backgroundIdx: 6,
    });
  }
  await writeFile(join(splitDir, "metadata.json"), `${JSON.stringify(entries, null, 2)}\n`);
  const foregrounds = join(root, "foregrounds");
  for (const klass of FIXTURE_CLASSES) {
    await mkdir(join(foregrounds, klass.wnid), { recursive: true });
    for (let n = 0; n < 2; n++) {
      await writeFile(join(foregrounds, klass.wnid, `example-${n}.png`), await solidPng(10 * n, 100, 30));
    }
  }
  return { root, splitDir, foregrounds, entries };
}

function solidImage(size: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(rgb, i * 3);
  return { data, width: size, height: size };
}

/**
 * Writes a split the way `d3s generate --save-init` lays it out: ids `background-shift/<name>`,
 * images at `<out>/val/<id>.png`, item manifests at `<out>/val/manifests/<id>.json` and
 * guide|result grids at `<out>/init/val/<id>.png`. Guides are solid green, results solid red.
 */
export async function makeGeneratedSplit(count = 3, size = 24): Promise<Fixture> {
  const root = await temporaryRoot("d3s-verify-generated-");
  const splitDir = join(root, "val");
  const entries: MetadataEntry[] = [];
  const guide = solidImage(size, [0, 200, 0]);
  const result = solidImage(size, [200, 0, 0]);
  for (let i = 0; i < count; i++) {
    const id = `background-shift/n01443537_photo${i}_0`;
    const files = [`val/${id}.png`, `init/val/${id}.png`];
    await mkdir(join(root, "val", "background-shift"), { recursive: true });
    await mkdir(join(root, "init", "val", "background-shift"), { recursive: true });
    await mkdir(join(splitDir, "manifests", "background-shift"), { recursive: true });
    await writeFile(join(root, files[0]), await encodePng(result));
    await writeFile(join(root, files[1]), await encodePng(makeGrid([guide, result], 2, 2)));
    const entry: MetadataEntry = {
      image: `${id}.png`,
      classIdx: 1,
      className: "goldfish",
      prompt: "a photo of a goldfish in snow",
      args: { seed: String(i) },
      background: "in snow",
      hasInit: true,
      id,
      shift: "background-shift",
      backgroundIdx: 6,
    };
    entries.push(entry);
    await writeFile(join(splitDir, "manifests", `${id}.json`), JSON.stringify({ id, entry, files }));
  }
  await writeFile(join(splitDir, "metadata.json"), JSON.stringify(entries));
  return { root, splitDir, foregrounds: join(root, "foregrounds"), entries };
}
