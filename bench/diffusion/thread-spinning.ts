// Times 60 tiny-UNet calls (2 rows, 64x64 latents) with ONNX Runtime's intra-op threads
// allowed to spin while idle (its default) and not allowed, alternating twice.
// Run: node --import tsx bench/diffusion/thread-spinning.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyModel } from "../../src/diffusion/tiny.js";
import { ort } from "../../src/onnx/session.js";

const dir = await mkdtemp(join(tmpdir(), "d3s-spinning-"));
try {
  await writeTinyModel(dir);
  const feeds = {
    sample: new ort.Tensor("float32", new Float32Array(2 * 4 * 64 * 64), [2, 4, 64, 64]),
    timestep: new ort.Tensor("float32", new Float32Array([500, 500]), [2]),
    encoder_hidden_states: new ort.Tensor("float32", new Float32Array(2 * 77 * 32), [2, 77, 32]),
  };
  for (const spinning of ["1", "0", "1", "0"]) {
    const options = { extra: { session: { intra_op: { allow_spinning: spinning } } } };
    const session = await ort.InferenceSession.create(join(dir, "unet/model.onnx"), options);
    for (let i = 0; i < 5; i++) await session.run(feeds);
    const started = performance.now();
    for (let i = 0; i < 60; i++) await session.run(feeds);
    const elapsed = performance.now() - started;
    console.log(`allow_spinning ${spinning}: ${elapsed.toFixed(0)} ms for 60 calls`);
    await session.release();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
