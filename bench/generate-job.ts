// Times a whole `d3s generate` run per image: guides, img2img with the tiny model and the PNG
// writes, on the repository's example photos (4 foregrounds x the 4 backgrounds of
// examples/four-backgrounds.yaml = 16 items). No target applies. It shows what the job gains
// from drawing guides and writing files while the ONNX Runtime calls run.
// Run: node --import tsx bench/generate-job.ts [--size PX] [--steps N] [--rounds N]
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { logger } from "../src/core/log.js";
import { writeTinyModel } from "../src/diffusion/tiny.js";
import { runGenerate } from "../src/generate/job.js";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "512" },
    steps: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
  },
});
const examples = join(import.meta.dirname, "..", "examples");

async function main(): Promise<void> {
  logger().level = "error";
  const work = await mkdtemp(join(tmpdir(), "d3s-bench-job-"));
  try {
    const model = join(work, "model");
    await writeTinyModel(model, { seed: 0 });
    const perImage: number[] = [];
    const loadBefore = loadavg()[0];
    for (let round = 0; round < Number(values.rounds); round++) {
      const started = performance.now();
      const summary = await runGenerate({
        foregrounds: join(examples, "foregrounds"),
        backgrounds: join(examples, "backgrounds"),
        recipes: [join(examples, "four-backgrounds.yaml")],
        model,
        size: Number(values.size),
        steps: Number(values.steps),
        out: join(work, `out-${round}`),
        seed: round,
      });
      perImage.push((performance.now() - started) / summary.done);
      const milliseconds = perImage[perImage.length - 1].toFixed(1);
      console.log(`round ${round}: ${summary.done} images, ${milliseconds} ms per image`);
    }
    const sorted = [...perImage].sort((a, b) => a - b);
    console.log(
      `tiny model, ${values.size} px, ${values.steps} steps; ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`,
    );
    console.log(
      `job wall per image: median ${sorted[sorted.length >> 1].toFixed(1)} ms (${sorted[0].toFixed(1)}-${sorted[sorted.length - 1].toFixed(1)})`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
