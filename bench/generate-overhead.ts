// Measures the pipeline overhead of Stable Diffusion img2img. The wall time per image of
// img2img is compared with (a) the ONNX Runtime run time the pipeline records and (b) a bare
// loop that makes the same session calls with the same shapes and no pipeline code between
// them. Target: wall / session time <= 1.03.
// Run: npx tsx bench/generate-overhead.ts [--images N] [--size PX] [--steps N] [--model DIR]
// Without --model it writes and measures the tiny random-weight model.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadStableDiffusion, type StableDiffusionPipeline } from "../src/diffusion/pipeline.js";
import { writeTinyModel } from "../src/diffusion/tiny.js";
import { Random } from "../src/core/rng.js";
import type { RgbImage } from "../src/images/decode.js";

const { values } = parseArgs({
  options: {
    images: { type: "string", default: "4" },
    size: { type: "string", default: "512" },
    steps: { type: "string", default: "50" },
    model: { type: "string" },
    threads: { type: "string", default: "0" },
  },
});
const imageCount = Number(values.images);
const size = Number(values.size);
const steps = Number(values.steps);
const strength = 0.9;

/** Returns a colour gradient with seeded speckle, so every guide differs. */
function guideImage(seed: number): RgbImage {
  const random = new Random(`guide:${seed}`);
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      data[i] = (x * 255) / size;
      data[i + 1] = (y * 255) / size;
      data[i + 2] = 128 + random.int(64);
    }
  }
  return { data, width: size, height: size };
}

/** Returns a timestep of 500 in the shape the UNet declares: [], [1] or one per row. */
function timestepFeed(shape: Array<number | string>): { data: number[]; dims: number[] } {
  if (shape.length === 0) return { data: [500], dims: [] };
  return shape[0] === 1 ? { data: [500], dims: [1] } : { data: [500, 500], dims: [2] };
}

/** Makes the pipeline's session calls for one image with no pipeline work in between. */
async function bareSessionLoop(
  pipeline: StableDiffusionPipeline,
  unetCalls: number,
): Promise<number> {
  const { textEncoder, unet, vaeEncoder, vaeDecoder, tokenizer, latentChannels } = pipeline.model;
  const latentDims = [2, latentChannels, size / 8, size / 8];
  const image = new Float32Array(3 * size * size);
  const latent = new Float32Array(latentDims.reduce((a, b) => a * b, 1));
  const started = performance.now();
  const ids = tokenizer.encode("a photo of a dog on grass");
  const empty = tokenizer.encode("");
  const cond = await textEncoder.run({ input_ids: { data: ids, dims: [1, 77] } });
  await textEncoder.run({ input_ids: { data: empty, dims: [1, 77] } });
  const hidden = [...cond.values()][0];
  const hiddenPair = new Float32Array(2 * hidden.data.length);
  await vaeEncoder.run({ sample: { data: image, dims: [1, 3, size, size] } });
  for (let i = 0; i < unetCalls; i++) {
    await unet.run({
      sample: { data: latent, dims: latentDims },
      timestep: timestepFeed(unet.inputs.get("timestep")?.shape ?? [2]),
      encoder_hidden_states: { data: hiddenPair, dims: [2, ...hidden.dims.slice(1)] },
    });
  }
  await vaeDecoder.run({
    latent_sample: {
      data: latent.subarray(0, latent.length / 2),
      dims: [1, ...latentDims.slice(1)],
    },
  });
  return performance.now() - started;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "d3s-bench-"));
  try {
    const folder = values.model ?? dir;
    if (values.model === undefined) await writeTinyModel(dir, { seed: 0 });
    const pipeline = await loadStableDiffusion(folder, { threads: Number(values.threads) });
    const request = (i: number) => ({
      images: [guideImage(i)],
      prompts: ["a photo of a dog on grass"],
      seeds: [`bench:${i}`],
      strength,
      numInferenceSteps: steps,
      guidanceScale: 5,
      scheduler: "ddim" as const,
    });
    // Warm-up: first runs pay for kernel selection and JIT compilation.
    const warm = await pipeline.img2img(request(-1));
    const unetCalls = warm.timesteps.length;
    await bareSessionLoop(pipeline, unetCalls);

    let wallTotal = 0;
    let sessionTotal = 0;
    let bareTotal = 0;
    for (let i = 0; i < imageCount; i++) {
      const sessionBefore = pipeline.sessionTimeMs;
      const started = performance.now();
      await pipeline.img2img(request(i));
      const wall = performance.now() - started;
      const session = pipeline.sessionTimeMs - sessionBefore;
      const bare = await bareSessionLoop(pipeline, unetCalls);
      wallTotal += wall;
      sessionTotal += session;
      bareTotal += bare;
      console.log(
        `image ${i}: pipeline ${wall.toFixed(1)} ms, its session runs ${session.toFixed(1)} ms, bare session loop ${bare.toFixed(1)} ms`,
      );
    }
    const perImage = (total: number) => (total / imageCount).toFixed(1);
    console.log(
      `\nmodel: ${values.model ?? "tiny (writeTinyModel seed 0)"}, threads ${values.threads}`,
    );
    console.log(
      `${imageCount} images, ${size}x${size}, DDIM ${steps} steps, strength ${strength}, guidance 5 (${unetCalls} UNet calls of 2 rows per image)`,
    );
    console.log(
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`,
    );
    console.log(`pipeline wall per image:        ${perImage(wallTotal)} ms`);
    console.log(`ORT session time per image:     ${perImage(sessionTotal)} ms`);
    console.log(`bare session loop per image:    ${perImage(bareTotal)} ms`);
    console.log(
      `ratio wall / session time:      ${(wallTotal / sessionTotal).toFixed(3)} (target <= 1.03)`,
    );
    console.log(`ratio wall / bare session loop: ${(wallTotal / bareTotal).toFixed(3)}`);
    await pipeline.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
