import { readdirSync } from "node:fs";
import { join } from "node:path";
import { decodeImage } from "./src/images/decode.ts";
import { preprocessImage } from "./src/evaluate/preprocess.ts";
import { presetConfig } from "./src/evaluate/preprocess-config.ts";
import sharp from "sharp";
sharp.concurrency(1);
const root = "bench/.work/images/0";
const files = readdirSync(root).slice(0, 30).map((f) => join(root, f));
const config = presetConfig("torchvision-bicubic");
let tDecode = 0, tPre = 0; const sizes = new Set();
for (let rep = 0; rep < 2; rep++) for (const f of files) {
  const a = performance.now(); const img = await decodeImage(f); const b = performance.now();
  preprocessImage(img, config); const c = performance.now();
  if (rep === 1) { tDecode += b - a; tPre += c - b; sizes.add(`${img.width}x${img.height}`); }
}
console.log("decode ms", (tDecode / files.length).toFixed(1), "preprocess ms", (tPre / files.length).toFixed(1), [...sizes].join(" "));
