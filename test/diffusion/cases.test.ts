// Inputs that broke comparable img2img tools, each with its right value.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Random } from "../../src/core/rng.js";
import { loadStableDiffusion } from "../../src/diffusion/pipeline.js";
import { EulerAncestralScheduler } from "../../src/diffusion/schedulers/index.js";
import { writeTinyModel } from "../../src/diffusion/tiny.js";
import { CELLS, flatImage, maxDifference, targetLatent, withOracle } from "./fixtures.js";
import { encodedLatent, sd1AlphasCumprod, SCALING } from "./oracle-model.js";
import { parseSchedulerConfig } from "../../src/diffusion/schedulers/config.js";
import { SD1_SCHEDULER_CONFIG } from "../../src/diffusion/tiny.js";

const abar = sd1AlphasCumprod();
const guide = flatImage([40, 200, 90]);
const guideLevels: [number, number, number] = [40 / 127.5 - 1, 200 / 127.5 - 1, 90 / 127.5 - 1];
const request = { images: [guide], prompts: ["a photo"], seeds: ["case"], guidanceScale: 5 };

function mean(values: Uint8Array): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe("strength at the edges", () => {
  it("strength 1 runs every DDIM step", async () => {
    // Leading spacing, 5 steps: ratio 1000 / 5 = 200, timesteps 0..800 reversed, + offset 1.
    await withOracle({}, async (pipeline) => {
      const result = await pipeline.img2img({
        ...request,
        strength: 1,
        numInferenceSteps: 5,
        scheduler: "ddim",
      });
      assert.deepEqual(result.timesteps, [801, 601, 401, 201, 1]);
      const noise = new Random("case").normals(4 * CELLS);
      const encoded = encodedLatent(guideLevels, CELLS);
      const a = abar[801];
      const expected = encoded.map((v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * noise[i]);
      assert.ok(
        maxDifference(result.latents.initial[0], expected) < 1e-6,
        "guide noised at t = 801",
      );
      assert.equal(pipeline.model.unet.runCount, 5);
    });
  });

  for (const [strength, steps] of [
    [0.1, 5],
    [0.8, 1],
  ]) {
    it(`strength ${strength} with ${steps} steps returns guide`, async () => {
      // floor(steps * strength) = floor(0.5) = floor(0.8) = 0 steps to run.
      await withOracle({}, async (pipeline) => {
        const result = await pipeline.img2img({
          ...request,
          strength,
          numInferenceSteps: steps,
          scheduler: "ddim",
        });
        assert.deepEqual(result.timesteps, []);
        assert.deepEqual(result.images[0].data, guide.data);
        assert.equal(pipeline.model.unet.runCount, 0);
      });
    });
  }
});

describe("PNDM and Euler are not DDIM", () => {
  it("PNDM 20 steps makes 21 calls", async () => {
    // Leading, ratio 50: 1, 51, ..., 951; PLMS repeats the second timestep (901).
    const descending = Array.from({ length: 20 }, (_, i) => 951 - 50 * i);
    const expected = [951, 901, ...descending.slice(1)];
    await withOracle({}, async (pipeline) => {
      const result = await pipeline.img2img({
        ...request,
        strength: 1,
        numInferenceSteps: 20,
        scheduler: "pndm",
      });
      assert.equal(result.timesteps.length, 21);
      assert.deepEqual(result.timesteps, expected);
      assert.equal(pipeline.model.unet.runCount, 21);
    });
  });

  it("Euler sigma and noise scales", () => {
    // sigma_999 = sqrt((1 - abar_999) / abar_999) = 14.6146 for SD 1.x betas.
    const config = parseSchedulerConfig(SD1_SCHEDULER_CONFIG, "sd1");
    const linspace = new EulerAncestralScheduler({ ...config, timestep_spacing: "linspace" }, 50);
    assert.equal(linspace.timesteps[0], 999);
    assert.ok(Math.abs(linspace.sigmas[0] - 14.6146) < 1e-4);
    assert.ok(Math.abs(linspace.initNoiseSigma - linspace.sigmas[0]) < 1e-12);
    const leading = new EulerAncestralScheduler({ ...config, timestep_spacing: "leading" }, 50);
    // Leading: first timestep 981 (ratio 20, offset 1); init_noise_sigma = sqrt(sigma^2 + 1).
    assert.equal(leading.timesteps[0], 981);
    const sigma981 = Math.sqrt((1 - abar[981]) / abar[981]);
    assert.ok(Math.abs(leading.initNoiseSigma - Math.sqrt(sigma981 ** 2 + 1)) < 1e-9);
    const input = leading.scaleModelInput(Float32Array.of(1, -2), 0);
    assert.ok(Math.abs(input[0] - 1 / Math.sqrt(sigma981 ** 2 + 1)) < 1e-7);
    assert.ok(Math.abs(input[1] + 2 / Math.sqrt(sigma981 ** 2 + 1)) < 1e-7);
  });

  it("Euler img2img noises as x0 + sigma eps", async () => {
    // 10 linspace steps, strength 0.5: start index 5, t = 999 * 4 / 9 = 444 (fractional),
    // sigma interpolated linearly between sigma_444 and sigma_445.
    await withOracle({}, async (pipeline) => {
      const result = await pipeline.img2img({
        ...request,
        strength: 0.5,
        numInferenceSteps: 10,
        scheduler: "euler-ancestral",
      });
      const t = (999 * 4) / 9;
      assert.ok(Math.abs(result.timesteps[0] - t) < 1e-9);
      const sigmaAt = (s: number) => Math.sqrt((1 - abar[s]) / abar[s]);
      const sigma = sigmaAt(444) + (t - 444) * (sigmaAt(445) - sigmaAt(444));
      const noise = new Random("case").normals(4 * CELLS);
      const encoded = encodedLatent(guideLevels, CELLS);
      const expected = encoded.map((v, i) => v + sigma * noise[i]);
      assert.ok(maxDifference(result.latents.initial[0], expected) < 1e-5);
      assert.ok(maxDifference(result.latents.final[0], targetLatent()) < 1e-4);
    });
  });
});

describe("latent scaling on both sides", () => {
  it("grey round trip keeps 128", async () => {
    // Encoder: 2 p + 0.5, times 0.18215; decoder divides by 0.18215 first. A missing division
    // would decode ((0.18215 (2 p + 0.5)) - 0.5) / 2 = -0.2 -> level 102.
    await withOracle({}, async (pipeline) => {
      const [back] = await pipeline.reconstruct([flatImage([128, 128, 128])], ["grey"]);
      assert.ok(Math.abs(mean(back.data) - 128) <= 2, `mean ${mean(back.data)}`);
    });
  });

  it("grey target decodes to 128", async () => {
    // Oracle x0 = the scaled latent of grey: Euler lands exactly on it, decoding gives 128.
    const grey = encodedLatent([128 / 127.5 - 1, 128 / 127.5 - 1, 128 / 127.5 - 1], CELLS);
    await withOracle({ x0: grey }, async (pipeline) => {
      const result = await pipeline.img2img({
        ...request,
        strength: 0.8,
        numInferenceSteps: 10,
        scheduler: "euler-ancestral",
      });
      assert.ok(Math.abs(mean(result.images[0].data) - 128) <= 2);
    });
  });

  for (const [where, options] of [
    ["vae config", { vaeConfig: { scaling_factor: 0.13025 } }],
    ["model index", { modelIndex: { scaling_factor: 0.13025 } }],
  ] as const) {
    it(`scaling factor from ${where}`, async () => {
      await withOracle(options, async (pipeline) => {
        assert.equal(pipeline.model.scalingFactor, 0.13025);
        const [back] = await pipeline.reconstruct([flatImage([128, 60, 200])], ["s"]);
        assert.deepEqual(Array.from(back.data.slice(0, 3)), [128, 60, 200]);
      });
    });
  }

  it("default factor is 0.18215", async () => {
    await withOracle({}, async (pipeline) => assert.equal(pipeline.model.scalingFactor, SCALING));
  });
});

describe("UNet timestep dtype", () => {
  for (const [type, shape] of [
    ["int64", []],
    ["float", [1]],
    ["int64", [1]],
    ["float16", ["batch"]],
  ] as const) {
    it(`timestep ${type} shape [${shape.join(",")}] runs`, async () => {
      await withOracle(
        { timestepType: type, timestepShape: [...shape], scheduler: { set_alpha_to_one: true } },
        async (pipeline) => {
          const expectedType = type === "float" ? "float32" : type;
          assert.equal(pipeline.model.unet.inputType("timestep"), expectedType);
          const result = await pipeline.img2img({
            ...request,
            strength: 1,
            numInferenceSteps: 5,
            scheduler: "ddim",
          });
          // DDIM timesteps are integers, so every dtype receives the exact value and lands on x0
          // (float16 represents integers up to 2048 exactly).
          assert.ok(maxDifference(result.latents.final[0], targetLatent()) < 1e-4);
        },
      );
    });
  }
});

describe("seeds and batches", () => {
  it("batch 2 matches batch 1 bitwise", async () => {
    // The tiny model's convolutions are where ONNX Runtime's CPU kernels vary with batch size.
    const dir = await mkdtemp(join(tmpdir(), "d3s-tiny-"));
    try {
      await writeTinyModel(dir, { seed: 1 });
      const pipeline = await loadStableDiffusion(dir, { threads: 2 });
      const images = [flatImage([200, 30, 30], 64), flatImage([10, 90, 250], 64)];
      const base = {
        strength: 0.9,
        numInferenceSteps: 6,
        guidanceScale: 5,
        scheduler: "euler-ancestral" as const,
      };
      const one = await pipeline.img2img({
        ...base,
        images: images.slice(0, 1),
        prompts: ["a dog"],
        seeds: ["42"],
      });
      const two = await pipeline.img2img({
        ...base,
        images,
        prompts: ["a dog", "a cat"],
        seeds: ["42", "43"],
      });
      assert.deepEqual(two.latents.initial[0], one.latents.initial[0]);
      assert.deepEqual(two.latents.final[0], one.latents.final[0]);
      assert.deepEqual(two.images[0].data, one.images[0].data);
      assert.notDeepEqual(two.images[1].data, two.images[0].data);
      await pipeline.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("sampling VAE encoder is seeded", async () => {
    // The RandomNormalLike node is replaced by an input fed from the item's generator, so the
    // latent is mean + exp(-1) n1 (n1: the item's first draws) and runs repeat bitwise.
    await withOracle({ encoderOutput: "random-normal" }, async (pipeline) => {
      assert.deepEqual(pipeline.model.encoderNoiseInputs, ["d3s_noise_0"]);
      const run = (seeds: string[]) =>
        pipeline.img2img({
          images: seeds.map(() => guide),
          prompts: seeds.map(() => "x"),
          seeds,
          strength: 1,
          numInferenceSteps: 5,
          guidanceScale: 5,
          scheduler: "ddim",
        });
      const first = await run(["42"]);
      const again = await run(["42"]);
      const batch = await run(["42", "7"]);
      assert.deepEqual(again.latents.initial[0], first.latents.initial[0]);
      assert.deepEqual(batch.latents.initial[0], first.latents.initial[0]);
      assert.deepEqual(batch.images[0].data, first.images[0].data);
      assert.notDeepEqual(batch.latents.initial[1], batch.latents.initial[0]);

      const random = new Random("42");
      const n1 = random.normals(4 * CELLS);
      const n2 = random.normals(4 * CELLS);
      const encoded = encodedLatent(guideLevels, CELLS);
      const a = abar[801];
      const expected = encoded.map((v, i) => {
        const sampled = v + SCALING * Math.exp(-1) * n1[i];
        return Math.sqrt(a) * sampled + Math.sqrt(1 - a) * n2[i];
      });
      assert.ok(maxDifference(first.latents.initial[0], expected) < 1e-6);
    });
  });
});
