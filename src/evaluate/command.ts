import type { Command } from "commander";

/** Registers the evaluate commands on the d3s program. */
export function registerEvaluateCommands(program: Command): void {
  void program;
}
