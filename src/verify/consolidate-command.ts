import type { Command } from "commander";
import { storeFlags } from "./command.js";
import { ConsolidateOptions, consolidate } from "./consolidate.js";
import { DEFAULTS, parseOptions } from "./options.js";

/** Registers `d3s verify consolidate`. */
export function registerConsolidateCommand(verify: Command): void {
  storeFlags(verify.command("consolidate"))
    .description("apply the accept rule to the votes, write filtered metadata and a report")
    .option("--rule <rule>", "accept rule: unanimous, majority or dawid-skene (default unanimous)")
    .option("--votes <n>", `votes an image needs before it is decided (default ${DEFAULTS.votes})`)
    .option("--max-unsafe-flags <n>", "adult/violent flags an accepted image may have (default 0)")
    .option("--min-gold-accuracy <p>", "leave out annotators below this gold accuracy, 0-1 (default 0)")
    .option("--skip-clear", "reject images the screens left out of the queue (as serve --skip-clear)")
    .option("--nsfw-threshold <p>", `NSFW probability that counts as flagged (default ${DEFAULTS.nsfwThreshold})`)
    .option("--clip-threshold <s>", `CLIP similarity below which the object counts as missing (default ${DEFAULTS.clipThreshold})`)
    .option("--out <file>", "filtered metadata (default <data>/metadata.verified.json)")
    .option("--report <path>", "report path without extension (default <data>/verify-report)")
    .action(async (raw: Record<string, unknown>) => {
      const report = await consolidate(parseOptions(ConsolidateOptions, raw));
      const rate = Number.isFinite(report.acceptanceRate) ? `${(100 * report.acceptanceRate).toFixed(1)}%` : "n/a";
      process.stdout.write(
        `${report.accepted} accepted, ${report.rejected} rejected, ${report.pending} pending (acceptance ${rate})\n`,
      );
      process.stdout.write(`Filtered metadata: ${report.outputs.metadata}\nReport: ${report.outputs.html}\n`);
    });
}
