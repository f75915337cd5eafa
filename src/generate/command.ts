import type { Command } from "commander";
import { UserError } from "../core/errors.js";
import { terminalProgress } from "../core/progress.js";
import { writeTinyModel } from "../diffusion/tiny.js";
import { runGenerate, type GenerateSummary, type SkippedItem } from "./job.js";
import { GENERATE_DEFAULTS as D, GENERATORS, MASK_NORMALIZATIONS, SCHEDULERS } from "./options.js";

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Registers `d3s generate` and `d3s model tiny` on the d3s program. */
export function registerGenerateCommands(program: Command): void {
  // Defaults live in GENERATE_DEFAULTS and are applied by the zod schema; the help shows them.
  program
    .command("generate")
    .description(
      "Generate a distribution-shift dataset: guide composites of foreground photos on background " +
        "photos, turned into new images by Stable Diffusion img2img (or kept as composites)",
    )
    .requiredOption(
      "--foregrounds <dir>",
      "ImageNet-style folder: <WordNet id or class index>/<photo>",
    )
    .requiredOption(
      "--backgrounds <dir>",
      "background template photos: <key>/<photo> (key: grass, road, ..., cave)",
    )
    .option("--out <dir>", `output folder (default: ${D.out})`)
    .option("--split <name>", `split folder under --out (default: ${D.split})`)
    .option(
      "--recipe <name|file>",
      `prompt recipe, repeatable (default: ${D.recipes.join(", ")})`,
      collect,
    )
    .option("--generator <name>", `${GENERATORS.join(" or ")} (default: ${D.generator})`)
    .option("--model <dir>", "diffusers-style ONNX Stable Diffusion folder (img2img)")
    .option(
      "--seed <n>",
      `run seed; item seeds derive from it and the item id (default: ${D.seed})`,
    )
    .option("--batch-size <n>", `images per diffusion call (default: ${D.batchSize})`)
    .option("--device <name>", `cpu, cuda or webgpu (default: ${D.device})`)
    .option("--threads <n>", `ONNX Runtime threads, 0 = all cores (default: ${D.threads})`)
    .option("--scheduler <name>", `${SCHEDULERS.join(", ")} (default: ${D.scheduler})`)
    .option("--steps <n>", `denoising steps before strength applies (default: ${D.steps})`)
    .option("--strength <x>", `how far the guide is noised, 0-1 (default: ${D.strength})`)
    .option("--guidance <x>", `classifier-free guidance scale (default: ${D.guidance})`)
    .option("--negative-prompt <text>", "prompt of the unconditional branch (default: empty)")
    .option("--size <px>", `side of guide and output images in pixels (default: ${D.size})`)
    .option(
      "--fg-scale <x>",
      `side of the pasted foreground as a fraction of --size (default: ${D.fgScale})`,
    )
    .option("--masks <dir>", "foreground masks: <class folder>/<photo stem>.png")
    .option(
      "--mask-model <file>",
      "salient-object ONNX model (U2-Net, ISNet) that computes the masks",
    )
    .option(
      "--mask-threshold <x>",
      `saliency threshold, 0-1 of the map's range (default: ${D.maskThreshold})`,
    )
    .option(
      "--mask-normalize <name>",
      `${MASK_NORMALIZATIONS.join(" or ")} input scaling (default: ${D.maskNormalize})`,
    )
    .option("--shard <k/n>", `run only items p with p mod n = k, k from 0 (default: ${D.shard})`)
    .option("--save-init", "also write guide|result pairs to <out>/init/<split>/")
    .option("--limit <n>", "stop after this many unfinished items")
    .option(
      "--queue <redis-url>",
      "share the plan with other machines through a BullMQ queue on Redis (same command, shared --out)",
    )
    .action(async (flags: Record<string, unknown>) => {
      const { recipe, ...rest } = flags;
      const progress = terminalProgress("images");
      try {
        const summary = await runGenerate({ ...rest, recipes: recipe } as never, progress);
        progress.stop();
        process.stdout.write(formatSummary(summary));
      } finally {
        progress.stop();
      }
    });

  program
    .command("model")
    .description("Model utilities")
    .command("tiny <dir>")
    .description("write a small random-weight Stable Diffusion ONNX model to try the pipeline")
    .option("--seed <n>", "seed of the random weights (default: 0)")
    .action(async (dir: string, flags: { seed?: string }) => {
      const seed = flags.seed === undefined ? 0 : Number(flags.seed);
      if (!Number.isInteger(seed) || seed < 0) {
        throw new UserError(
          `Invalid --seed ${JSON.stringify(flags.seed)}: use a whole number >= 0.`,
        );
      }
      await writeTinyModel(dir, { seed });
      process.stdout.write(`Wrote a tiny Stable Diffusion model to ${dir}\n`);
    });
}

/** Formats the end-of-run summary for the terminal. */
export function formatSummary(summary: GenerateSummary): string {
  const lines = [
    `Generated ${summary.done} images in ${summary.wallSeconds.toFixed(1)} s ` +
      `(${summary.imagesPerSecond.toFixed(2)} images/s).`,
    `Plan: ${summary.planned} items, ${summary.shardItems} in this shard, ` +
      `${summary.alreadyDone} already finished and skipped.`,
    `Skipped: ${summary.skipped.length}${summary.skipped.length > 0 ? ":" : "."}`,
    ...groupSkipped(summary.skipped),
    `Metadata: ${summary.splitFolder}/metadata.json and metadata.jsonl (${summary.metadataEntries} entries).`,
  ];
  return `${lines.join("\n")}\n`;
}

/** Lists each skip reason once with its item count, because a bad photo fails all its items. */
function groupSkipped(skipped: SkippedItem[]): string[] {
  const byReason = new Map<string, SkippedItem[]>();
  for (const item of skipped)
    byReason.set(item.reason, [...(byReason.get(item.reason) ?? []), item]);
  return [...byReason].map(([reason, items]) => {
    const count = items.length === 1 ? items[0].id : `${items.length} items, first ${items[0].id}`;
    return `  ${reason} (${count})`;
  });
}
