import type { Command } from "commander";
import { terminalProgress } from "../core/progress.js";
import { evaluate } from "./evaluate.js";
import { EVALUATE_DEFAULTS, type EvaluateInput } from "./options.js";
import { PRESETS } from "./preprocess-config.js";

// Text that is no integer stays text, so the validation message can show what was typed.
const integer = (value: string): number | string => (/^-?\d+$/.test(value) ? Number(value) : value);

/** Registers `d3s evaluate` on the d3s program. */
export function registerEvaluateCommands(program: Command): void {
  const defaults = EVALUATE_DEFAULTS;
  program
    .command("evaluate")
    .description("Measure ONNX classifiers on a d3s dataset against a reference set and write a report")
    .requiredOption("--dataset <path>", "shifted dataset: d3s split folder, released D3S folder or ImageFolder")
    .option("--reference <path>", "reference set: ImageFolder with WordNet-id or numeric class folders")
    .requiredOption(
      "--models <models...>",
      `.onnx files, Hugging Face folders or CLIP folders; suffix :PRESET or :config.json sets preprocessing (presets: ${Object.keys(PRESETS).join(", ")})`,
    )
    .requiredOption("--out <dir>", "output folder for <model>.json, results.csv and report.html")
    .option("--layout <layout>", `dataset layout: auto, d3s, released or imagefolder (default ${defaults.layout})`)
    .option("--class-map <file>", "JSON mapping model outputs to another label space (for example ImageNet-9)")
    .option("--label-space <space>", `labels of the datasets: model or target (default ${defaults.labelSpace})`)
    .option("--preprocess <preset>", `preprocessing of bare .onnx files: preset or JSON file (default ${defaults.preprocess})`)
    .option("--device <device>", `ONNX Runtime device: cpu, cuda or webgpu (default ${defaults.device})`)
    .option("--threads <n>", `ONNX Runtime threads, 0 = all cores (default ${defaults.threads})`, integer)
    .option("--workers <n>", `decode worker threads (default ${defaults.workers})`, integer)
    .option("--batch-size <n>", `images per ONNX Runtime call (default ${defaults.batchSize})`, integer)
    .option("--resamples <n>", `bootstrap resamples per figure (default ${defaults.resamples})`, integer)
    .option("--seed <n>", `bootstrap seed (default ${defaults.seed})`, integer)
    .option("--cache-dir <dir>", `cache for CLIP text embeddings (default ${defaults.cacheDir})`)
    .option("--no-report", "skip report.html")
    .action(async (flags: Record<string, unknown>) => {
      const progress = terminalProgress("images");
      try {
        const { results, files } = await evaluate(flags as EvaluateInput, progress);
        progress.stop();
        for (const result of results) {
          const overall = result.rows.find((row) => row.set === "dataset" && row.scope === "overall");
          const skipped = result.sets.dataset.unreadable;
          process.stdout.write(
            `${result.model.name}: top-1 ${((overall?.top1 ?? Number.NaN) * 100).toFixed(2)}% ` +
              `top-5 ${((overall?.top5 ?? Number.NaN) * 100).toFixed(2)}% (${overall?.space}, ${skipped} unreadable)\n`,
          );
        }
        process.stdout.write(`wrote ${files.join(", ")}\n`);
      } finally {
        progress.stop();
      }
    });
}
