import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resizePil } from "../../src/evaluate/resample.js";

const PYTHON = process.env.D3S_PYTHON ?? "/usr/bin/python3";

// Resizes one seeded random image with Pillow and prints the input and outputs as JSON.
const SCRIPT = `
import json, random, sys
from PIL import Image
random.seed(7)
width, height = 97, 61
pixels = bytes(random.randrange(256) for _ in range(width * height * 3))
image = Image.frombytes("RGB", (width, height), pixels)
cases = []
for size in [(40, 23), (256, 171), (33, 90)]:
    for name, code in [("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)]:
        cases.append({"size": size, "kernel": name, "out": list(image.resize(size, code).tobytes())})
json.dump({"width": width, "height": height, "pixels": list(pixels), "cases": cases}, sys.stdout)
`;

function runPillow(): { width: number; height: number; pixels: number[]; cases: Array<{ size: [number, number]; kernel: "bilinear" | "bicubic"; out: number[] }> } | undefined {
  const result = spawnSync(PYTHON, ["-c", SCRIPT], { encoding: "utf8", maxBuffer: 1 << 26 });
  return result.status === 0 ? JSON.parse(result.stdout) : undefined;
}

const pillow = runPillow();

test("resize matches pillow exactly", { skip: pillow ? false : `no Pillow for ${PYTHON}` }, () => {
  // Expected values come from Pillow's Image.resize itself, on the same random pixels.
  const image = { data: Uint8Array.from(pillow!.pixels), width: pillow!.width, height: pillow!.height };
  for (const { size, kernel, out } of pillow!.cases) {
    const ours = resizePil(image, size[0], size[1], kernel);
    let mismatches = 0;
    for (let i = 0; i < out.length; i++) if (ours.data[i] !== out[i]) mismatches += 1;
    assert.equal(mismatches, 0, `${kernel} ${size.join("x")}: ${mismatches} bytes differ`);
  }
});
