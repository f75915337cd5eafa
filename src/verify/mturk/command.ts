import type { Command } from "commander";
import { storeFlags } from "../command.js";
import { DEFAULTS, parseOptions } from "../options.js";
import { ExportOptions, exportMturk } from "./export.js";
import { ImportOptions, importMturk } from "./import.js";
import { counted } from "../plural.js";

/** Registers `d3s verify export-mturk` and `d3s verify import-mturk`. */
export function registerMturkCommands(verify: Command): void {
  storeFlags(verify.command("export-mturk"))
    .description("write the MTurk HIT input CSV (25 images per row) and the HIT layout (crowd-form)")
    .requiredOption("--image-base-url <url>", "https URL where the split folder is published")
    .requiredOption("--out <dir>", "folder for input.csv and hit.html")
    .option("--guide-base-url <url>", "https URL where <out>/guides/ will be published (for --save-init grids)")
    .option("--votes <n>", `votes per image; set assignments per HIT to this (default ${DEFAULTS.votes})`)
    .option("--gold-per-batch <n>", `gold images mixed into each row (default ${DEFAULTS.goldPerBatch})`)
    .option("--order <order>", `row order: dataset or likely-failure (default ${DEFAULTS.order})`)
    .option("--skip-clear", "leave images the screens flag out of the rows")
    .option("--title <text>", "title shown on the HIT")
    .action(async (raw: Record<string, unknown>) => {
      const options = parseOptions(ExportOptions, raw);
      const result = await exportMturk(options);
      process.stdout.write(`${counted(result.rows, "HIT row")} for ${counted(result.images, "image")}: ${result.inputCsv}\n`);
      process.stdout.write(`HIT layout: ${result.hitHtml} (set assignments per HIT to ${options.votes})\n`);
      if (result.guidesWritten > 0) {
        process.stdout.write(`${counted(result.guidesWritten, "guide")} written to ${options.out}/guides/: publish them at ${options.guideBaseUrl}\n`);
      }
      if (result.guidesOmitted > 0) {
        process.stdout.write(`${counted(result.guidesOmitted, "guide")} ${result.guidesOmitted === 1 ? "is a" : "are"} --save-init ${result.guidesOmitted === 1 ? "grid" : "grids"}; pass --guide-base-url to include them\n`);
      }
    });
  storeFlags(verify.command("import-mturk"))
    .description("import an MTurk batch results CSV into the vote store (repeatable)")
    .requiredOption("--results <file>", "batch results CSV downloaded from MTurk")
    .action(async (raw: Record<string, unknown>) => {
      const result = await importMturk(parseOptions(ImportOptions, raw));
      process.stdout.write(
        `${counted(result.assignments, "assignment")}, ${counted(result.votes, "vote")} imported; ${result.alreadyImported} already imported, ${result.skippedStatus} rejected by you on MTurk and skipped\n`,
      );
    });
}
