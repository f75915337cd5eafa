// Measures what sharp's ICC conversion costs when it decodes photos that embed a profile, and
// whether that conversion is an identity for the profile of the darknet photos. It prints, per
// photo, the profile's description and the CPU time of 20 decodes with and without the
// conversion. Then it writes all 2^24 RGB colours as a PNG that embeds the dog photo's profile
// (with PIL, which stores the pixels untouched) and counts the colours that sharp changes.
// Run: node --import tsx bench/images/icc-srgb.ts [PHOTO_FOLDER]
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";

const folder = process.argv[2] ?? "/usr/share/darknet/data";
const PHOTOS = ["dog", "eagle", "horses", "giraffe", "person", "kite"];
const REPEATS = 20;

/** Returns the `desc` tag of an ICC profile, or "" when it has none. */
function profileDescription(icc: Buffer): string {
  const tagCount = icc.readUInt32BE(128);
  for (let i = 0; i < tagCount; i++) {
    const entry = 132 + 12 * i;
    if (icc.toString("ascii", entry, entry + 4) !== "desc") continue;
    const offset = icc.readUInt32BE(entry + 4);
    const length = icc.readUInt32BE(offset + 8);
    return icc.toString("latin1", offset + 12, offset + 12 + length - 1);
  }
  return "";
}

/** Returns the CPU milliseconds of one decode to raw RGB, averaged over REPEATS. */
async function decodeCpuMs(bytes: Buffer, ignoreIcc: boolean): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < REPEATS; i++) await sharp(bytes, { ignoreIcc }).raw().toBuffer();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / REPEATS;
}

async function main(): Promise<void> {
  // 1. Decode cost with and without the conversion, per photo.
  for (const photo of PHOTOS) {
    const bytes = await readFile(join(folder, `${photo}.jpg`));
    const { icc } = await sharp(bytes).metadata();
    const description = icc === undefined ? "no profile" : profileDescription(icc);
    const converted = await decodeCpuMs(bytes, false);
    const untouched = await decodeCpuMs(bytes, true);
    console.log(
      `${photo}: ${description}; decode ${converted.toFixed(1)} ms CPU with the ICC conversion, ${untouched.toFixed(1)} ms without`,
    );
  }

  // 2. All 2^24 colours with the dog photo's profile: which ones does the conversion change?
  const { icc } = await sharp(await readFile(join(folder, "dog.jpg"))).metadata();
  if (icc === undefined) throw new Error("dog.jpg has no ICC profile");
  const work = await mkdtemp(join(tmpdir(), "d3s-icc-"));
  try {
    const side = 4096;
    const colours = Buffer.alloc(side * side * 3);
    for (let c = 0; c < 1 << 24; c++) {
      colours[c * 3] = c >> 16;
      colours[c * 3 + 1] = (c >> 8) & 255;
      colours[c * 3 + 2] = c & 255;
    }
    await writeFile(join(work, "colours.raw"), colours);
    await writeFile(join(work, "profile.icc"), icc);
    const script = [
      "import sys",
      "from PIL import Image",
      "w = sys.argv[1]",
      `im = Image.frombytes("RGB", (${side}, ${side}), open(w + "/colours.raw", "rb").read())`,
      'im.save(w + "/colours.png", icc_profile=open(w + "/profile.icc", "rb").read(), compress_level=1)',
    ].join("\n");
    const python = spawnSync("/usr/bin/python3", ["-c", script, work], { encoding: "utf8" });
    if (python.status !== 0) throw new Error(`PIL failed: ${python.stderr}`);
    const png = await readFile(join(work, "colours.png"));
    const converted = await sharp(png, { limitInputPixels: false }).raw().toBuffer();
    let changed = 0;
    let maxDifference = 0;
    for (let p = 0; p < converted.length; p += 3) {
      let differs = false;
      for (let channel = 0; channel < 3; channel++) {
        const difference = Math.abs(converted[p + channel] - colours[p + channel]);
        maxDifference = Math.max(maxDifference, difference);
        differs ||= difference > 0;
      }
      if (differs) changed++;
    }
    console.log(
      `profile "${profileDescription(icc)}": the conversion changes ${changed} of ${1 << 24} colours (${((100 * changed) / (1 << 24)).toFixed(2)} %), by at most ${maxDifference} level(s)`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
