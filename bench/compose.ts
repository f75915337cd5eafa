// Benchmark: guide compositing with the PNG write at 512 px, d3s (sharp) against PIL.
// Both sides decode a foreground and a background photo per image, crop their centred
// squares, resize bicubically (background to 512, foreground to 204 = floor(0.4 x 512)),
// paste at a seeded random position and write a PNG. The PIL side is a separate peer script
// (path in $D3S_COMPOSE_PEER, with a default below) run with Debian's python3-pil; it prints
// `pil_compose_img_per_s=<rate>`. The machine is shared, so the script runs ROUNDS rounds,
// each with PIL and d3s back to back, and prints the median and range of every figure, the
// CPU time per image of each side and the load average.
// A further d3s run follows the job's own path: like `d3s generate`, it decodes each photo once
// (PhotoCache) and uses each foreground for ten consecutive items, one per background shift,
// while the PIL peer, like the reference code, decodes both photos for every image.
// Usage: npm run bench:compose -- [COUNT] [PHOTO_FOLDER] [ROUNDS]
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, rm, stat } from "node:fs/promises";
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { peerScript } from "./peers.js";
import { performance } from "node:perf_hooks";
import { writeFileAtomic } from "../src/core/atomic.js";
import { Random } from "../src/core/rng.js";
import { composeGuide } from "../src/generate/guide.js";
import { PhotoCache } from "../src/generate/photo-cache.js";
import { decodeImage } from "../src/images/decode.js";
import { DATASET_PNG, encodePng, type PngSettings } from "../src/images/encode.js";

const count = Number(process.argv[2] ?? 64);
const photoFolder = process.argv[3] ?? "/usr/share/darknet/data";
const rounds = Number(process.argv[4] ?? 3);
const peer = process.env.D3S_COMPOSE_PEER ?? peerScript("peer_compose_pil.py");
const python = process.env.D3S_PYTHON ?? "/usr/bin/python3";
const work = join("bench", ".work", "compose");
if (!Number.isInteger(count) || count < 8 || !Number.isInteger(rounds) || rounds < 1) {
  throw new Error(
    `Invalid COUNT ${count} or ROUNDS ${rounds}: COUNT must be an integer >= 8 (the PNG sizes are read from 8 files) and ROUNDS >= 1.`,
  );
}

// Full-size darknet photos, laid out as <class>/<photo> for both sides.
const FOREGROUNDS = ["dog.jpg", "eagle.jpg", "horses.jpg", "giraffe.jpg"];
const BACKGROUNDS = ["kite.jpg", "person.jpg", "horses.jpg"];
/** The setting d3s wrote before DATASET_PNG: zlib level 6, rows unfiltered. */
const UNFILTERED_6: PngSettings = { compressionLevel: 6, adaptiveFiltering: false };

/** Images per second and CPU milliseconds per image of one run. */
interface Run {
  rate: number;
  cpuMs: number;
}

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

/**
 * Runs `count` compositions with `concurrency` in flight and measures the rate and the CPU time
 * of this process per image (every thread: JavaScript, libuv and libvips workers).
 */
async function runD3s(
  foregrounds: string[],
  backgrounds: string[],
  concurrency: number,
  png: PngSettings,
): Promise<Run> {
  const cpuBefore = process.cpuUsage();
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
        await encodePng(guide.image, png),
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { rate: count / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / count };
}

/** Items per foreground photo in a D3S plan: one per background shift. */
const ITEMS_PER_FOREGROUND = 10;

/**
 * Runs `count` compositions the way the generate job does: photos decoded once through a
 * PhotoCache and each foreground used for ten consecutive items, 4 in flight.
 */
async function runJobPath(foregrounds: string[], backgrounds: string[]): Promise<Run> {
  const cache = new PhotoCache();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const foregroundPath = foregrounds[Math.floor(i / ITEMS_PER_FOREGROUND) % foregrounds.length];
      const [foreground, background] = await Promise.all([
        cache.photo("", foregroundPath),
        cache.photo("", backgrounds[i % backgrounds.length]),
      ]);
      const guide = await composeGuide({
        background: background.image,
        foreground: foreground.image,
        size: 512,
        fgScale: 0.4,
        random: new Random(i),
      });
      await writeFileAtomic(join(work, `d3s_job_${i % 8}_${i % 4}.png`), await encodePng(guide.image, DATASET_PNG));
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { rate: count / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / count };
}

/**
 * Runs the PIL peer under /usr/bin/time and parses its `pil_compose_img_per_s=` line and its
 * CPU seconds (user + system). These include starting Python and importing PIL, about 0.1 s.
 */
function runPeer(foregrounds: string, backgrounds: string): Run {
  const result = spawnSync(
    "/usr/bin/time",
    ["-f", "cpu_s=%U+%S", python, peer, foregrounds, backgrounds, String(count)],
    { encoding: "utf8" },
  );
  const match = /pil_compose_img_per_s=([\d.]+)/.exec(result.stdout);
  const cpu = /cpu_s=([\d.]+)\+([\d.]+)/.exec(result.stderr);
  if (match === null || cpu === null) {
    throw new Error(`PIL peer failed: ${result.stderr || result.stdout}`);
  }
  const cpuMs = ((Number(cpu[1]) + Number(cpu[2])) * 1000) / count;
  return { rate: Number(match[1]), cpuMs };
}

/** Mean size in kB of the last PNGs a side wrote. */
async function meanKilobytes(paths: string[]): Promise<string> {
  const sizes = await Promise.all(paths.map(async (path) => (await stat(path)).size));
  return (sizes.reduce((sum, size) => sum + size, 0) / sizes.length / 1024).toFixed(0);
}

/** Formats the median and range of a list: "4.12 (3.80-4.50)". */
function spread(values: number[], digits = 2): string {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const range = `${sorted[0].toFixed(digits)}-${sorted[sorted.length - 1].toFixed(digits)}`;
  return `${median.toFixed(digits)} (${range})`;
}

async function main(): Promise<void> {
  // 1. Lay out the photos and warm up sharp and the OS file cache.
  const folders = await layOut();
  const files = (root: string, photos: string[]) =>
    photos.map((photo) => join(root, photo.replace(".jpg", ""), photo));
  const fgFiles = files(folders.foregrounds, FOREGROUNDS);
  const bgFiles = files(folders.backgrounds, BACKGROUNDS);
  await runD3s(fgFiles, bgFiles, 1, DATASET_PNG);
  const loadBefore = loadavg()[0];

  // 2. Rounds: PIL, then d3s one at a time, 4 in flight, and one at a time with the old PNG
  //    setting. Ratios compare each d3s run with the PIL run of the same round.
  const results = {
    pil: [] as Run[],
    one: [] as Run[],
    four: [] as Run[],
    old: [] as Run[],
    job: [] as Run[],
  };
  let d3sKb = "";
  for (let round = 0; round < rounds; round++) {
    results.pil.push(runPeer(folders.foregrounds, folders.backgrounds));
    results.four.push(await runD3s(fgFiles, bgFiles, 4, DATASET_PNG));
    results.job.push(await runJobPath(fgFiles, bgFiles));
    results.one.push(await runD3s(fgFiles, bgFiles, 1, DATASET_PNG));
    d3sKb = await meanKilobytes(
      Array.from({ length: 8 }, (_, i) => join(work, `d3s_compose_${i}_0.png`)),
    );
    results.old.push(await runD3s(fgFiles, bgFiles, 1, UNFILTERED_6));
  }
  const oldKb = await meanKilobytes(
    Array.from({ length: 8 }, (_, i) => join(work, `d3s_compose_${i}_0.png`)),
  );
  const pilKb = await meanKilobytes(
    Array.from({ length: 8 }, (_, i) => `/tmp/peer_compose_${i}.png`),
  );
  const loadAfter = loadavg()[0];

  // 3. Report.
  const rates = (runs: Run[]) => spread(runs.map((run) => run.rate));
  const cpu = (runs: Run[]) => spread(runs.map((run) => run.cpuMs), 1);
  const ratios = (runs: Run[]) =>
    spread(runs.map((run, round) => run.rate / results.pil[round].rate));
  const cpuRatios = (runs: Run[]) =>
    spread(runs.map((run, round) => results.pil[round].cpuMs / run.cpuMs));
  const level = `level ${DATASET_PNG.compressionLevel}`;
  const lines = [
    `photos: darknet ${FOREGROUNDS.join(", ")} on ${BACKGROUNDS.join(", ")}; ${count} images per run, ${rounds} rounds`,
    `machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} logical CPUs, load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
    `figures: median (min-max) over rounds; ratios pair each d3s run with the PIL run of its round`,
    `pil (peer):                    ${rates(results.pil)} images/s, CPU ${cpu(results.pil)} ms/image`,
    `d3s job path (photos decoded once, 10 items per foreground, 4 in flight): ${rates(results.job)} images/s  ratio ${ratios(results.job)}x (target >= 4x), CPU ${cpu(results.job)} ms/image`,
    `d3s 4 in flight, both photos decoded per image (like for like): ${rates(results.four)} images/s  ratio ${ratios(results.four)}x`,
    `d3s one at a time:             ${rates(results.one)} images/s  ratio ${ratios(results.one)}x`,
    `d3s CPU per image:             ${cpu(results.one)} ms one at a time, ${cpu(results.four)} ms 4 in flight; PIL CPU / d3s CPU ${cpuRatios(results.one)}x`,
    `d3s one at a time, PNG level 6 unfiltered (earlier setting): ${rates(results.old)} images/s  ratio ${ratios(results.old)}x`,
    `PNG written: d3s ${level} with a filter per row ${d3sKb} kB, d3s level 6 unfiltered ${oldKb} kB, PIL level 6 with a filter per row ${pilKb} kB (mean of 8)`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

await main();
