// Measures the pipeline overhead of Stable Diffusion img2img. The wall time per image of
// img2img is compared with (a) the ONNX Runtime run time the pipeline records (time inside
// `session.run`, summed over its calls) and (b) a bare loop that makes the same session calls
// with the same shapes and no pipeline code between them. Target: wall / session time <= 1.03.
// The machine may be shared, so every image is one sample: the script prints the median and
// range of the per-image ratio beside the ratio of the totals, and the load average.
// Run: npx tsx bench/generate-overhead.ts [--images N] [--size PX] [--steps N] [--model DIR]
// Without --model it writes and measures the tiny random-weight model.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadStableDiffusion, type StableDiffusionPipeline } from "../src/diffusion/pipeline.js";
import { writeTinyModel } from "../src/diffusion/tiny.js";
import { Random } from "../src/core/rng.js";
import type { RgbImage } from "../src/images/decode.js";

const { values } = parseArgs({
  options: {
    images: { type: "string", default: "12" },
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

/** Session time of all four model parts together, in milliseconds. */
function sessionTime(pipeline: StableDiffusionPipeline): number {
  return pipeline.sessionTimeMs;
}

/**
 * Makes the pipeline's session calls for one image (VAE encoder, the UNet calls, VAE decoder)
 * with no pipeline work in between. The pipeline caches prompt embeddings, so neither calls the
 * text encoder per image. Returns the wall time and the session time of those calls.
 */
async function bareSessionLoop(
  pipeline: StableDiffusionPipeline,
  unetCalls: number,
): Promise<{ wall: number; session: number }> {
  const { textEncoder, unet, vaeEncoder, vaeDecoder, tokenizer, latentChannels } = pipeline.model;
  const latentDims = [2, latentChannels, size / 8, size / 8];
  const image = new Float32Array(3 * size * size);
  const latent = new Float32Array(latentDims.reduce((a, b) => a * b, 1));
  const ids = tokenizer.encode("a photo of a dog on grass");
  const cond = await textEncoder.run({ input_ids: { data: ids, dims: [1, 77] } });
  const hidden = [...cond.values()][0];
  const hiddenPair = new Float32Array(2 * hidden.data.length);
  const sessionBefore = sessionTime(pipeline);
  const started = performance.now();
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
  return { wall: performance.now() - started, session: sessionTime(pipeline) - sessionBefore };
}

/** Formats the median and range of a list: "1.021 (1.010-1.060)". */
function spread(values: number[], digits: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const range = `${sorted[0].toFixed(digits)}-${sorted[sorted.length - 1].toFixed(digits)}`;
  return `${median.toFixed(digits)} (${range})`;
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

    const loadBefore = loadavg()[0];
    let wallTotal = 0;
    let sessionTotal = 0;
    let bareTotal = 0;
    let bareSessionTotal = 0;
    const ratios: number[] = [];
    const overheads: number[] = [];
    // The pipeline runs its images back to back, as a generate job does; the guides are drawn
    // first, because drawing them is not pipeline work. The bare loops follow, so their
    // allocations do not land in the pipeline's time.
    const inputs = Array.from({ length: imageCount }, (_, i) => request(i));
    for (let i = 0; i < imageCount; i++) {
      const sessionBefore = pipeline.sessionTimeMs;
      const started = performance.now();
      await pipeline.img2img(inputs[i]);
      const wall = performance.now() - started;
      const session = pipeline.sessionTimeMs - sessionBefore;
      wallTotal += wall;
      sessionTotal += session;
      ratios.push(wall / session);
      overheads.push(wall - session);
      console.log(
        `image ${i}: pipeline ${wall.toFixed(1)} ms, its session runs ${session.toFixed(1)} ms (ratio ${(wall / session).toFixed(3)})`,
      );
    }
    for (let i = 0; i < imageCount; i++) {
      const bare = await bareSessionLoop(pipeline, unetCalls);
      bareTotal += bare.wall;
      bareSessionTotal += bare.session;
    }
    const loadAfter = loadavg()[0];
    const perImage = (total: number) => (total / imageCount).toFixed(1);
    console.log(
      `\nmodel: ${values.model ?? "tiny (writeTinyModel seed 0)"}, threads ${values.threads}`,
    );
    console.log(
      `${imageCount} images, ${size}x${size}, DDIM ${steps} steps, strength ${strength}, guidance 5 (${unetCalls} UNet calls of 2 rows per image)`,
    );
    console.log(
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
    );
    console.log(`pipeline wall per image:        ${perImage(wallTotal)} ms`);
    console.log(`ORT session time per image:     ${perImage(sessionTotal)} ms`);
    console.log(
      `bare session loop per image:    ${perImage(bareTotal)} ms wall, ${perImage(bareSessionTotal)} ms in session.run`,
    );
    console.log(
      `pipeline time outside ORT:      ${spread(overheads, 1)} ms per image (median, range)`,
    );
    console.log(
      `ratio wall / session time:      ${(wallTotal / sessionTotal).toFixed(3)} totals, ${spread(ratios, 3)} per image (target <= 1.03)`,
    );
    console.log(`ratio wall / bare session loop: ${(wallTotal / bareTotal).toFixed(3)}`);
    await pipeline.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
