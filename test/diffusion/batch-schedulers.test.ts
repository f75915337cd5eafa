// Every scheduler gives an item the same bytes alone and in a batch. PNDM keeps a history of
// UNet outputs; before each item got its own scheduler, a batch mixed the items' histories.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadStableDiffusion } from "../../src/diffusion/pipeline.js";
import { writeTinyModel } from "../../src/diffusion/tiny.js";
import { flatImage } from "./fixtures.js";

describe("batches with every scheduler", () => {
  it("batch item equals its solo run", async () => {
    const dir = await mkdtemp(join(tmpdir(), "d3s-tiny-"));
    try {
      await writeTinyModel(dir, { seed: 1 });
      const pipeline = await loadStableDiffusion(dir, { threads: 2 });
      const images = [flatImage([200, 30, 30], 64), flatImage([10, 90, 250], 64)];
      for (const scheduler of ["ddim", "pndm", "euler-ancestral"] as const) {
        // 8 steps at strength 0.9: 7 denoising steps, so PNDM reaches its 4-output formula.
        const base = { strength: 0.9, numInferenceSteps: 8, guidanceScale: 5, scheduler };
        const one = await pipeline.img2img({
          ...base,
          images: images.slice(1),
          prompts: ["a cat"],
          seeds: ["43"],
        });
        const two = await pipeline.img2img({
          ...base,
          images,
          prompts: ["a dog", "a cat"],
          seeds: ["42", "43"],
        });
        assert.deepEqual(two.latents.final[1], one.latents.final[0], scheduler);
        assert.deepEqual(two.images[1].data, one.images[0].data, scheduler);
      }
      await pipeline.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
