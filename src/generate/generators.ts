import { NonFiniteOutputError, loadStableDiffusion } from "../diffusion/pipeline.js";
import type { GenerateOptions } from "./options.js";
import type { RenderedGuide } from "./render-guide.js";
import type { PlanItem } from "./plan.js";
import type { ItemResult } from "./write-item.js";

/** An item whose guide is drawn and that waits for the generator. */
export interface PreparedItem {
  item: PlanItem;
  guide: RenderedGuide;
}

/** The result of a batch: finished items and items skipped with the reason. */
export interface BatchOutcome {
  results: ItemResult[];
  skipped: Array<{ item: PlanItem; reason: string }>;
}

/** A generator: turns prepared guides into final images. */
export interface Generator {
  /** Items handled per call: the --batch-size for img2img. */
  batchSize: number;
  /** sha256 of the diffusion model folder; null for composites. */
  modelHash: string | null;
  run(batch: PreparedItem[]): Promise<BatchOutcome>;
}

/** Composite items handled concurrently; sharp runs each on the libuv thread pool. */
const COMPOSITE_CONCURRENCY = 4;

/** Opens the generator chosen by the options; img2img loads the diffusion model here. */
export async function openGenerator(options: GenerateOptions): Promise<Generator> {
  const common = { size: options.size, fgScale: options.fgScale };
  if (options.generator === "composite") {
    return {
      batchSize: Math.max(options.batchSize, COMPOSITE_CONCURRENCY),
      modelHash: null,
      async run(batch) {
        const results = batch.map(({ item, guide }) => ({
          item,
          guide: guide.image,
          box: guide.box,
          image: guide.image,
          args: { generator: "composite", ...common },
          hasInit: false,
          scheduler: null,
          timesteps: [],
          modelHash: null,
          generator: "composite",
        }));
        return { results, skipped: [] };
      },
    };
  }
  const pipeline = await loadStableDiffusion(options.model as string, {
    device: options.device,
    threads: options.threads,
  });
  const args = {
    generator: "img2img",
    ...common,
    strength: options.strength,
    steps: options.steps,
    guidance: options.guidance,
    scheduler: options.scheduler,
    negativePrompt: options.negativePrompt,
  };
  const runBatch = async (batch: PreparedItem[]): Promise<ItemResult[]> => {
    const output = await pipeline.img2img({
      images: batch.map((prepared) => prepared.guide.image),
      prompts: batch.map((prepared) => prepared.item.prompt),
      negativePrompt: options.negativePrompt,
      strength: options.strength,
      numInferenceSteps: options.steps,
      guidanceScale: options.guidance,
      seeds: batch.map((prepared) => prepared.item.seed),
      scheduler: options.scheduler,
    });
    return batch.map(({ item, guide }, i) => ({
      item,
      guide: guide.image,
      box: guide.box,
      image: output.images[i],
      args,
      hasInit: true,
      scheduler: output.scheduler,
      timesteps: output.timesteps,
      modelHash: pipeline.modelHash,
      generator: "img2img",
    }));
  };
  return {
    batchSize: options.batchSize,
    modelHash: pipeline.modelHash,
    async run(batch) {
      try {
        return { results: await runBatch(batch), skipped: [] };
      } catch (error) {
        if (!(error instanceof NonFiniteOutputError)) throw error;
      }
      // A non-finite item spoils only itself: rerun the batch one item at a time. Item bytes
      // do not depend on the batch, so the retried items match an undisturbed run.
      const outcome: BatchOutcome = { results: [], skipped: [] };
      for (const prepared of batch) {
        try {
          outcome.results.push(...(await runBatch([prepared])));
        } catch (error) {
          if (!(error instanceof NonFiniteOutputError)) throw error;
          outcome.skipped.push({ item: prepared.item, reason: error.message });
        }
      }
      return outcome;
    },
  };
}
