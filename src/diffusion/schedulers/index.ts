import { DdimScheduler } from "./ddim.js";
import { EulerAncestralScheduler } from "./euler-ancestral.js";
import { PndmScheduler } from "./pndm.js";
import type { SchedulerConfig, SchedulerName } from "./config.js";
import type { Scheduler } from "./scheduler.js";

export * from "./config.js";
export type { Scheduler, NoiseSource } from "./scheduler.js";
export { DdimScheduler, EulerAncestralScheduler, PndmScheduler };

/** Creates a scheduler by name for a number of inference steps. */
export function createScheduler(
  name: SchedulerName,
  config: SchedulerConfig,
  steps: number,
): Scheduler {
  if (name === "ddim") return new DdimScheduler(config, steps);
  if (name === "pndm") return new PndmScheduler(config, steps);
  return new EulerAncestralScheduler(config, steps);
}
