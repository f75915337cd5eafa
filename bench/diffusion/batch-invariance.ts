// Checks whether ONNX Runtime returns bitwise equal rows for one input run alone and the same
// input as row 0 of a batch of 2, on the tiny model's UNet. The pipeline runs one item per
// session call because this is not guaranteed.
// Run: node --import tsx bench/diffusion/batch-invariance.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Random } from "../../src/core/rng.js";
import { writeTinyModel } from "../../src/diffusion/tiny.js";
import { ort } from "../../src/onnx/session.js";

const dir = await mkdtemp(join(tmpdir(), "d3s-invariance-"));
try {
  await writeTinyModel(dir);
  const session = await ort.InferenceSession.create(join(dir, "unet/model.onnx"));
  const random = new Random("batch-invariance");
  const latent = 4 * 64 * 64;
  const hidden = 77 * 32;
  const samples = random.normals(2 * latent);
  const states = random.normals(2 * hidden);
  const run = (rows: number) =>
    session.run({
      sample: new ort.Tensor("float32", samples.slice(0, rows * latent), [rows, 4, 64, 64]),
      timestep: new ort.Tensor("float32", new Float32Array(rows).fill(500), [rows]),
      encoder_hidden_states: new ort.Tensor("float32", states.slice(0, rows * hidden), [
        rows,
        77,
        32,
      ]),
    });
  const alone = (await run(1)).out_sample.data as Float32Array;
  const batched = (await run(2)).out_sample.data as Float32Array;
  let differing = 0;
  let maxDifference = 0;
  for (let i = 0; i < latent; i++) {
    if (alone[i] !== batched[i]) differing += 1;
    maxDifference = Math.max(maxDifference, Math.abs(alone[i] - batched[i]));
  }
  console.log(
    `onnxruntime-node ${ort.env.versions.node ?? "?"}: ${differing} of ${latent} values differ, max ${maxDifference}`,
  );
  await session.release();
} finally {
  await rm(dir, { recursive: true, force: true });
}
