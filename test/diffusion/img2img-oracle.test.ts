import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Random } from "../../src/core/rng.js";
import {
  CELLS,
  flatImage,
  maxDifference,
  promptMean,
  targetImage,
  targetLatent,
  withOracle,
} from "./fixtures.js";
import { encodedLatent, sd1AlphasCumprod } from "./oracle-model.js";

const guide = flatImage([40, 200, 90]);
const abar = sd1AlphasCumprod();

describe("img2img with the oracle UNet", () => {
  for (const scheduler of ["ddim", "pndm", "euler-ancestral"] as const) {
    it(`${scheduler} returns x0 exactly`, async () => {
      // With abar = 1 after the last step (set_alpha_to_one) every scheduler lands on x0; Euler
      // always ends at sigma 0. The decoded image is then the oracle's target image.
      await withOracle({ scheduler: { set_alpha_to_one: true } }, async (pipeline) => {
        const result = await pipeline.img2img({
          images: [guide],
          prompts: ["a photo of a dog"],
          seeds: ["seed-a"],
          strength: 0.9,
          numInferenceSteps: 10,
          guidanceScale: 5,
          scheduler,
        });
        assert.ok(maxDifference(result.latents.final[0], targetLatent()) < 1e-4);
        assert.deepEqual(result.images[0].data, targetImage().data);
      });
    });
  }

  for (const scheduler of ["ddim", "pndm"] as const) {
    it(`${scheduler} ends at abar_0 with SD 1.x`, async () => {
      // The guide is noised at t = 951 with the item's first draws n: x = sqrt(abar) enc +
      // sqrt(1 - abar) n, enc being the oracle VAE's closed-form latent. The oracle then keeps
      // eps = (x - sqrt(abar) x0) / sqrt(1 - abar) constant along the path, and SD 1.x
      // (set_alpha_to_one false) ends at abar_0: x = sqrt(abar_0) x0 + sqrt(1 - abar_0) eps.
      await withOracle({}, async (pipeline) => {
        const result = await pipeline.img2img({
          images: [guide],
          prompts: ["x"],
          seeds: ["seed-b"],
          strength: 1,
          numInferenceSteps: 20,
          guidanceScale: 1,
          scheduler,
        });
        const a = abar[951];
        const noise = new Random("seed-b").normals(4 * CELLS);
        const encoded = encodedLatent([40 / 127.5 - 1, 200 / 127.5 - 1, 90 / 127.5 - 1], CELLS);
        const initial = encoded.map((v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * noise[i]);
        assert.ok(maxDifference(result.latents.initial[0], initial) < 1e-6);
        const x0 = targetLatent();
        const eps = initial.map((v, i) => (v - Math.sqrt(a) * x0[i]) / Math.sqrt(1 - a));
        const expected = x0.map((v, i) => Math.sqrt(abar[0]) * v + Math.sqrt(1 - abar[0]) * eps[i]);
        assert.ok(maxDifference(result.latents.final[0], expected) < 1e-4);
      });
    });
  }

  it("guidance combines cond and uncond", async () => {
    // The oracle adds gain * d to cond (d = mean hidden of the prompt - of ""), 0 to uncond. One
    // DDIM step at t = 1 with abar_prev = 1 gives x = x0 - sqrt((1 - abar_1) / abar_1) * s * gain * d.
    const gain = 1000;
    const emptyMean = promptMean("");
    const options = { scheduler: { set_alpha_to_one: true }, guidanceGain: gain, emptyMean };
    await withOracle(options, async (pipeline) => {
      const d = promptMean("a photo of a dog") - emptyMean;
      const run = (guidanceScale: number) =>
        pipeline.img2img({
          images: [guide],
          prompts: ["a photo of a dog"],
          seeds: ["g"],
          strength: 1,
          numInferenceSteps: 1,
          guidanceScale,
          scheduler: "ddim",
        });
      const x0 = targetLatent();
      const coefficient = Math.sqrt((1 - abar[1]) / abar[1]) * gain * d;
      for (const [scale, effective] of [
        [0.5, 1],
        [1, 1],
        [3, 3],
        [7.5, 7.5],
      ]) {
        const final = (await run(scale)).latents.final[0];
        const expected = x0.map((v) => v - effective * coefficient);
        assert.ok(
          maxDifference(final, expected) < 1e-3,
          `scale ${scale}: ${maxDifference(final, expected)}`,
        );
      }
    });
  });

  it("progress reports each step", async () => {
    // 10 steps at strength 0.5 leave 5 DDIM steps.
    await withOracle({}, async (pipeline) => {
      const events: Array<[number, number]> = [];
      await pipeline.img2img({
        images: [guide],
        prompts: ["x"],
        seeds: ["p"],
        strength: 0.5,
        numInferenceSteps: 10,
        guidanceScale: 5,
        onProgress: (event) => events.push([event.done, event.total]),
      });
      assert.deepEqual(events, [
        [1, 5],
        [2, 5],
        [3, 5],
        [4, 5],
        [5, 5],
      ]);
    });
  });

  it("strength 0 returns the guide", async () => {
    await withOracle({}, async (pipeline) => {
      const result = await pipeline.img2img({
        images: [guide],
        prompts: ["x"],
        seeds: ["s"],
        strength: 0,
        numInferenceSteps: 50,
        guidanceScale: 5,
      });
      assert.deepEqual(result.images[0], guide);
      assert.deepEqual(result.timesteps, []);
      assert.equal(pipeline.model.unet.runCount, 0);
      assert.equal(pipeline.model.vaeEncoder.runCount, 0);
    });
  });
});
