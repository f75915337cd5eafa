import type { Command } from "commander";
import { terminalProgress } from "../../core/progress.js";
import { storeFlags } from "../command.js";
import { parseOptions } from "../options.js";
import { ScreenOptions, screenDataset } from "./run.js";
import { counted } from "../plural.js";

/** Registers `d3s verify screen`. */
export function registerScreenCommand(verify: Command): void {
  storeFlags(verify.command("screen"))
    .description("score every image with the nsfwjs NSFW model (offline) and optionally CLIP before people see it")
    .option("--clip <dir>", 'CLIP ONNX folder (vision_model.onnx, text_model.onnx, tokenizer); scores "a photo of a {class}"')
    .option("--threads <n>", "ONNX Runtime threads for CLIP, 0 for all cores (default 0)")
    .option("--limit <n>", "score only the first n images")
    .action(async (raw: Record<string, unknown>) => {
      const options = parseOptions(ScreenOptions, raw);
      const bar = terminalProgress("images");
      const result = await screenDataset(options, bar);
      bar.stop();
      process.stdout.write(`${counted(result.scored, "image")} scored with ${result.model}; ${result.failed.length} failed\n`);
      if (result.clipModel !== undefined) process.stdout.write(`${counted(result.clipScored, "image")} scored with ${result.clipModel}\n`);
      for (const failure of result.failed) process.stdout.write(`  ${failure.imageId}: ${failure.reason}\n`);
    });
}
