import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { UserError, errorMessage } from "../core/errors.js";
import { logger } from "../core/log.js";
import { registerGenerateCommands } from "../generate/command.js";
import { registerVerifyCommands } from "../verify/command.js";
import { registerEvaluateCommands } from "../evaluate/command.js";
import { registerLearnCommands } from "../learn/command.js";
import { registerExperimentCommands } from "../learn/experiment-command.js";

/** Returns the version field of d3s's package.json. */
function packageVersion(): string {
  const path = fileURLToPath(new URL("../../package.json", import.meta.url));
  return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}

/** Builds the `d3s` command line: one registration call per pipeline stage. */
export function buildProgram(): Command {
  const program = new Command("d3s")
    .version(packageVersion(), "-V, --version", "print the d3s version")
    .description("Diffusion Dreamed Distribution Shifts: generate, verify, evaluate, learn")
    .option("--log-level <level>", "log level: error, warn, info or debug", "warn")
    .hook("preAction", (command) => {
      logger().level = command.optsWithGlobals().logLevel as string;
    });
  registerGenerateCommands(program);
  registerVerifyCommands(program);
  registerEvaluateCommands(program);
  registerLearnCommands(program);
  registerExperimentCommands(program);
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    if (error instanceof UserError) {
      process.stderr.write(`d3s: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`d3s: ${errorMessage(error)}\n`);
    if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  }
}

await main();
