import type { Command } from "commander";

/** Registers the generate commands on the d3s program. */
export function registerGenerateCommands(program: Command): void {
  void program;
}
