import type { Command } from "commander";

/** Registers the verify commands on the d3s program. */
export function registerVerifyCommands(program: Command): void {
  void program;
}
