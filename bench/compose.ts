// Benchmark: guide compositing with the PNG write at 512 px, d3s (sharp) against PIL.
// Both sides decode a foreground and a background photo per image, crop their centred
// squares, resize bicubically (background to 512, foreground to 204 = floor(0.4 x 512)),
// paste at a seeded random position and write a PNG. The PIL side is a separate peer script
// (path in $D3S_COMPOSE_PEER, with a default below) run with Debian's python3-pil; it prints
// `pil_compose_img_per_s=<rate>`. Usage: npm run bench:compose -- [COUNT] [PHOTO_FOLDER]
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, rm, stat } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeFileAtomic } from "../src/core/atomic.js";
import { Random } from "../src/core/rng.js";
import { composeGuide } from "../src/generate/guide.js";
import { decodeImage } from "../src/images/decode.js";
import { encodePng } from "../src/images/encode.js";

const count = Number(process.argv[2] ?? 64);
const photoFolder = process.argv[3] ?? "/usr/share/darknet/data";
const peer = process.env.D3S_COMPOSE_PEER ?? "/work/shared/bench-peers/peer_compose_pil.py";
const python = process.env.D3S_PYTHON ?? "/usr/bin/python3";
const work = join("bench", ".work", "compose");

// Full-size darknet photos, laid out as <class>/<photo> for both sides.
const FOREGROUNDS = ["dog.jpg", "eagle.jpg", "horses.jpg", "giraffe.jpg"];
const BACKGROUNDS = ["kite.jpg", "person.jpg", "horses.jpg"];

/** Copies the photos into the peer's layout: DIR/<folder>/<photo>. */
async function layOut(): Promise<{ foregrounds: string; backgrounds: string }> {
  await rm(work, { recursive: true, force: true });
  const foregrounds = join(work, "fg");
  const backgrounds = join(work, "bg");
  for (const [root, photos] of [
    [foregrounds, FOREGROUNDS],
    [backgrounds, BACKGROUNDS],
  ] as const) {
    for (const photo of photos) {
      await mkdir(join(root, photo.replace(".jpg", "")), { recursive: true });
      await copyFile(join(photoFolder, photo), join(root, photo.replace(".jpg", ""), photo));
    }
  }
  return { foregrounds, backgrounds };
}

/** Runs `count` compositions with `concurrency` in flight; returns images per second. */
async function runD3s(
  foregrounds: string[],
  backgrounds: string[],
  concurrency: number,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const [foreground, background] = await Promise.all([
        decodeImage(foregrounds[i % foregrounds.length]),
        decodeImage(backgrounds[i % backgrounds.length]),
      ]);
      const guide = await composeGuide({
        background,
        foreground,
        size: 512,
        fgScale: 0.4,
        random: new Random(i),
      });
      await writeFileAtomic(
        join(work, `d3s_compose_${i % 8}_${i % concurrency}.png`),
        await encodePng(guide.image),
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / ((performance.now() - started) / 1000);
}

/** Runs the PIL peer and parses its `pil_compose_img_per_s=` line. */
function runPeer(foregrounds: string, backgrounds: string): number {
  const result = spawnSync(python, [peer, foregrounds, backgrounds, String(count)], {
    encoding: "utf8",
  });
  const match = /pil_compose_img_per_s=([\d.]+)/.exec(result.stdout);
  if (match === null) throw new Error(`PIL peer failed: ${result.stderr || result.stdout}`);
  return Number(match[1]);
}

const folders = await layOut();
const fgFiles = FOREGROUNDS.map((photo) =>
  join(folders.foregrounds, photo.replace(".jpg", ""), photo),
);
const bgFiles = BACKGROUNDS.map((photo) =>
  join(folders.backgrounds, photo.replace(".jpg", ""), photo),
);

// Warm-up: sharp and the photo cache of the OS.
await runD3s(fgFiles, bgFiles, 1);
const pil = runPeer(folders.foregrounds, folders.backgrounds);
const sequential = await runD3s(fgFiles, bgFiles, 1);
const concurrent = await runD3s(fgFiles, bgFiles, 4);
const pilAgain = runPeer(folders.foregrounds, folders.backgrounds);
const pilBest = Math.max(pil, pilAgain);

/** Mean size in kB of the last PNGs a side wrote. */
async function meanKilobytes(paths: string[]): Promise<string> {
  const sizes = await Promise.all(paths.map(async (path) => (await stat(path)).size));
  return (sizes.reduce((sum, size) => sum + size, 0) / sizes.length / 1024).toFixed(0);
}
const ours = await meanKilobytes(
  Array.from({ length: 8 }, (_, i) => join(work, `d3s_compose_${i}_${i % 4}.png`)),
);
const theirs = await meanKilobytes(
  Array.from({ length: 8 }, (_, i) => `/tmp/peer_compose_${i}.png`),
);

const cpu = cpus()[0]?.model ?? "unknown CPU";
process.stdout.write(
  [
    `photos: darknet ${FOREGROUNDS.join(", ")} on ${BACKGROUNDS.join(", ")}; ${count} images per run`,
    `machine: ${cpu}, ${availableParallelism()} logical CPUs`,
    `pil (peer, best of 2): ${pilBest.toFixed(2)} images/s`,
    `d3s sequential:        ${sequential.toFixed(2)} images/s  ratio ${(sequential / pilBest).toFixed(2)}x`,
    `d3s 4 in flight (job): ${concurrent.toFixed(2)} images/s  ratio ${(concurrent / pilBest).toFixed(2)}x (target >= 4x)`,
    `mean PNG size: d3s ${ours} kB, pil ${theirs} kB (zlib level 6 on both; PIL picks a PNG filter per row, d3s does not)`,
  ].join("\n") + "\n",
);
