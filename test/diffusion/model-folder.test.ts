import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { UserError } from "../../src/core/errors.js";
import { loadStableDiffusion, NonFiniteOutputError } from "../../src/diffusion/pipeline.js";
import { writeTinyModel } from "../../src/diffusion/tiny.js";
import { flatImage, maxDifference, targetImage, targetLatent, withOracle } from "./fixtures.js";
import { writeOracleModel, type OracleOptions } from "./oracle-model.js";

async function withFolder<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "d3s-folder-"));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Asserts that loading rejects with a UserError whose message contains every fragment. */
async function rejectsLoading(
  options: Partial<OracleOptions>,
  change: (dir: string) => Promise<void>,
  fragments: string[],
) {
  await withFolder(async (dir) => {
    await writeOracleModel(dir, { x0: targetLatent(), ...options });
    await change(dir);
    await assert.rejects(loadStableDiffusion(dir), (error: Error) => {
      assert.ok(error instanceof UserError, `${error.name}: ${error.message}`);
      for (const fragment of fragments)
        assert.ok(error.message.includes(fragment), `"${fragment}" in: ${error.message}`);
      return true;
    });
  });
}

const request = {
  images: [flatImage([40, 200, 90])],
  prompts: ["a photo"],
  seeds: ["s"],
  strength: 0.9,
  numInferenceSteps: 8,
  guidanceScale: 5,
};

describe("model folder validation", () => {
  for (const file of [
    "unet/model.onnx",
    "vae_decoder/model.onnx",
    "model_index.json",
    "scheduler/scheduler_config.json",
  ]) {
    it(`missing ${file} is named`, async () => {
      await rejectsLoading({}, (dir) => rm(join(dir, file)), [file, "missing"]);
    });
  }

  it("missing tokenizer is named", async () => {
    await rejectsLoading({}, (dir) => rm(join(dir, "tokenizer/vocab.json")), [
      "tokenizer/vocab.json",
      "tokenizer.json",
    ]);
  });

  it("missing external weights are named", async () => {
    await rejectsLoading({}, (dir) => rm(join(dir, "unet/x0.bin")), ["unet/model.onnx"]);
  });

  it("wrong UNet input name", async () => {
    await rejectsLoading({ unetSampleName: "latents" }, async () => undefined, [
      "unet/model.onnx",
      'missing input "sample"',
      "latents",
    ]);
  });

  it("wrong UNet input dtype", async () => {
    await rejectsLoading({ unetSampleType: "int64" }, async () => undefined, [
      "unet/model.onnx",
      '"sample" has type int64',
      "float32 or float16",
    ]);
  });

  it("extra SDXL UNet input", async () => {
    await rejectsLoading({ extraUnetInput: "text_embeds" }, async () => undefined, [
      "unet/model.onnx",
      "unexpected input(s) text_embeds",
    ]);
  });

  it("wrong text encoder input shape", async () => {
    await rejectsLoading({ textLength: 64 }, async () => undefined, [
      "text_encoder/model.onnx",
      "size 64 on axis 1",
      "expected 77",
    ]);
  });

  it("wrong scheduler config value", async () => {
    await rejectsLoading({ scheduler: { beta_schedule: "cubic" } }, async () => undefined, [
      "scheduler_config.json",
      "beta_schedule",
    ]);
  });
});

describe("model formats", () => {
  it("float16 model matches float32", async () => {
    // Both are the oracle with set_alpha_to_one, so both decode to the target image; float16
    // rounding (about 1e-3 relative) may move a level by one.
    await withOracle({ float16: true, scheduler: { set_alpha_to_one: true } }, async (pipeline) => {
      assert.equal(pipeline.model.unet.inputType("sample"), "float16");
      const result = await pipeline.img2img({ ...request, scheduler: "ddim" });
      assert.ok(maxDifference(result.latents.final[0], targetLatent()) < 5e-3);
      assert.ok(maxDifference(result.images[0].data, targetImage().data) <= 1);
    });
  });

  it("fixed batch-1 UNet runs guidance", async () => {
    // Cond and uncond go in two calls; the oracle (gain 0) still lands on x0.
    await withOracle({ unetBatch: 1, scheduler: { set_alpha_to_one: true } }, async (pipeline) => {
      const result = await pipeline.img2img({ ...request, scheduler: "ddim" });
      assert.equal(pipeline.model.unet.runCount, 2 * result.timesteps.length);
      assert.ok(maxDifference(result.latents.final[0], targetLatent()) < 1e-4);
    });
  });

  for (const [label, options] of [
    ["float16", { float16: true }],
    ["external weights", { encoderExternal: true }],
    ["opset 14", { encoderOpset: 14 }],
  ] as const) {
    it(`sampling encoder with ${label}`, async () => {
      // The rewritten encoder takes noise in its own float type and keeps its weights. The latent
      // is mean + exp(-1) n, so a run repeats, and the reconstruction differs from the guide by
      // exp(-1) n / 2 in [-1, 1] units: about 23 levels per unit of n.
      await withOracle({ encoderOutput: "random-normal", ...options }, async (pipeline) => {
        const guideImage = flatImage([128, 60, 200]);
        const [first] = await pipeline.reconstruct([guideImage], ["n"]);
        const [again] = await pipeline.reconstruct([guideImage], ["n"]);
        assert.deepEqual(again.data, first.data);
        assert.ok(maxDifference(first.data, guideImage.data) < 120);
        assert.ok(maxDifference(first.data, guideImage.data) > 0);
      });
    });
  }

  it("mean and log-variance encoder", async () => {
    // An 8-channel latent_dist keeps its first 4 channels (the mean).
    await withOracle({ encoderOutput: "mean-logvar" }, async (pipeline) => {
      const [back] = await pipeline.reconstruct([flatImage([128, 60, 200])], ["s"]);
      assert.deepEqual(Array.from(back.data.slice(0, 3)), [128, 60, 200]);
    });
  });

  it("external weights load", async () => {
    await withOracle({ scheduler: { set_alpha_to_one: true } }, async (pipeline, dir) => {
      const onnx = await stat(join(dir, "unet/model.onnx"));
      const weights = await stat(join(dir, "unet/x0.bin"));
      assert.ok(weights.size >= 4 * targetLatent().length);
      assert.ok(onnx.size > 0);
      const result = await pipeline.img2img({ ...request, scheduler: "ddim" });
      assert.ok(maxDifference(result.latents.final[0], targetLatent()) < 1e-4);
    });
  });

  it("non-finite VAE output names item", async () => {
    await withOracle({ decoderNaN: true }, async (pipeline) => {
      await assert.rejects(
        pipeline.img2img({
          ...request,
          images: [request.images[0], request.images[0]],
          prompts: ["a", "b"],
          seeds: ["s0", "s1"],
        }),
        (error: Error) => {
          assert.ok(error instanceof NonFiniteOutputError);
          assert.equal(error.itemIndex, 0);
          assert.match(error.message, /item 0 \(seed s0\)/);
          assert.match(error.message, /vae_decoder/);
          return true;
        },
      );
    });
  });

  it("bad request values are named", async () => {
    await withOracle({}, async (pipeline) => {
      await assert.rejects(pipeline.img2img({ ...request, strength: 1.5 }), /"strength"/);
      await assert.rejects(
        pipeline.img2img({ ...request, seeds: [] }),
        /"seeds" has 0 entries for 1 images/,
      );
      await assert.rejects(
        pipeline.img2img({ ...request, images: [flatImage([0, 0, 0], 12)] }),
        /multiples of 8/,
      );
      await assert.rejects(
        pipeline.img2img({ ...request, scheduler: "lms" as never }),
        /"scheduler"/,
      );
    });
  });
});

describe("tiny model", () => {
  it("writes the diffusers layout", async () => {
    await withFolder(async (dir) => {
      await writeTinyModel(dir, { seed: 3 });
      const pipeline = await loadStableDiffusion(dir, { threads: 1 });
      assert.equal(pipeline.model.latentChannels, 4);
      assert.equal(pipeline.model.scalingFactor, 0.18215);
      assert.equal(pipeline.model.tokenizer.startId, pipeline.model.tokenizer.endId - 1);
      assert.equal(pipeline.modelHash.length, 64);
      const weights = await stat(join(dir, "unet/weights.pb"));
      assert.ok(weights.size > 100_000);
      const index = JSON.parse(await readFile(join(dir, "model_index.json"), "utf8"));
      assert.deepEqual(index.unet, ["diffusers", "OnnxRuntimeModel"]);
      const result = await pipeline.img2img({ ...request, images: [flatImage([90, 120, 30], 64)] });
      assert.equal(result.images[0].width, 64);
      assert.equal(result.timesteps.length, 7);
      await pipeline.dispose();
    });
  });

  it("same seed writes same bytes", async () => {
    await withFolder(async (dir) => {
      await writeTinyModel(join(dir, "a"), { seed: 5 });
      await writeTinyModel(join(dir, "b"), { seed: 5 });
      await writeTinyModel(join(dir, "c"), { seed: 6 });
      const read = (name: string) => readFile(join(dir, name, "unet/weights.pb"));
      assert.deepEqual(await read("a"), await read("b"));
      assert.notDeepEqual(await read("a"), await read("c"));
    });
  });

  it("tokenizer.json folder loads", async () => {
    // The fast-tokenizer file carries the same vocabulary and merges as vocab.json + merges.txt.
    await withFolder(async (dir) => {
      await writeTinyModel(dir);
      const vocab = JSON.parse(await readFile(join(dir, "tokenizer/vocab.json"), "utf8"));
      const merges = (await readFile(join(dir, "tokenizer/merges.txt"), "utf8"))
        .split("\n")
        .slice(1)
        .filter(Boolean);
      const slow = await loadStableDiffusion(dir, { threads: 1 });
      const expected = slow.model.tokenizer.encode("a photo of a dog, in the snow");
      await slow.dispose();
      await rm(join(dir, "tokenizer/vocab.json"));
      await rm(join(dir, "tokenizer/merges.txt"));
      const fast = { model: { type: "BPE", vocab, merges }, added_tokens: [] };
      await writeFile(join(dir, "tokenizer/tokenizer.json"), JSON.stringify(fast));
      const pipeline = await loadStableDiffusion(dir, { threads: 1 });
      assert.deepEqual(pipeline.model.tokenizer.encode("a photo of a dog, in the snow"), expected);
      await pipeline.dispose();
    });
  });
});
