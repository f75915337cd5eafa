import type { Command } from "commander";

/** Registers the learn commands on the d3s program. */
export function registerLearnCommands(program: Command): void {
  void program;
}
