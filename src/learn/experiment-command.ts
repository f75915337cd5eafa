import type { Command } from "commander";
import { access } from "node:fs/promises";
import { join, resolve } from "node:path";
import { numberListFlag, optionalNumberFlag, withFlagNames } from "../cli/flag-errors.js";
import { UserError } from "../core/errors.js";
import { invalidOption } from "../core/option-error.js";
import { terminalProgress, type ProgressListener } from "../core/progress.js";
import {
  buildMiniSplit,
  miniSplitOptionsSchema,
  parseMiniSplitOptions,
} from "../data/mini/dataset.js";
import { writeMiniSplit } from "../data/mini/export.js";
import { loadMiniSources } from "../data/mini/load.js";
import { MINI_ROLES, type MiniRole } from "../data/mini/manifest.js";
import {
  buildDemoSplits,
  probeModels,
  runDemo,
  runSweep,
  trainDemoModel,
  type NamedModel,
} from "./demo.js";
import { parseDemoOptions, type DemoOptionsInput } from "./demo-options.js";
import type { DemoResults } from "./demo-results.js";
import { TrainedModel } from "./model.js";
import { formatProbeTable } from "./probe.js";
import { formatSpuriousTable } from "./spurious.js";

/** Registers `d3s mini`, `d3s probe`, `d3s spurious` and `d3s demo` on the d3s program. */
export function registerExperimentCommands(program: Command): void {
  const defaults = parseDemoOptions({});
  const splitDefaults = miniSplitOptionsSchema.parse({ split: "train" });

  program
    .command("mini")
    .description(
      "Write the bundled mini dataset's splits as PNG files with metadata.json and metadata.jsonl",
    )
    .option("--out <dir>", "output folder", "mini")
    .option(
      "--splits <list>",
      `comma-separated splits: ${MINI_ROLES.join(", ")}`,
      MINI_ROLES.join(","),
    )
    .option(
      "--correlation <p>",
      `share of the correlated split on the paired background (default: ${splitDefaults.correlation})`,
    )
    .option("--size <px>", `image side in pixels (default: ${splitDefaults.size})`)
    .option("--per-class <n>", "items per class (default: the whole pool)")
    .option(
      "--seed <n>",
      `seed of backgrounds, crops and positions (default: ${splitDefaults.seed})`,
    )
    .action(
      withFlagNames(async (flags: Record<string, string | undefined>) => {
        const splits = parseSplits(flags.splits ?? "");
        const common = {
          correlation: optionalNumberFlag("correlation", flags.correlation),
          size: optionalNumberFlag("size", flags.size),
          perClass: optionalNumberFlag("perClass", flags.perClass),
          seed: optionalNumberFlag("seed", flags.seed),
        };
        for (const split of splits) parseMiniSplitOptions({ split, ...common });
        const progress = terminalProgress("images");
        try {
          const sources = await loadMiniSources();
          for (const split of splits) {
            const built = await buildMiniSplit(sources, { split, ...common }, progress);
            const folder = await writeMiniSplit(flags.out ?? "mini", built, progress);
            progress.stop();
            process.stdout.write(`Wrote ${built.entries.length} images to ${folder}\n`);
          }
        } finally {
          progress.stop();
        }
      }),
    );

  const experiment = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .option(
        "--model <dir>",
        "penalised model saved by d3s learn or d3s demo (default: train one on the mini dataset)",
      )
      .option(
        "--baseline <dir>",
        "the same model trained without the penalty (default: train one with --model unset)",
      )
      .option("--quick", "reduced dataset and steps, for a smoke test")
      .option(
        "--penalty <name>",
        `wasserstein, mine or linear, when training (default: ${defaults.penalty})`,
      )
      .option("--steps <n>", `training steps, when training (default: ${defaults.learn.steps})`)
      .option("--seed <n>", `seed of splits, training and probes (default: ${defaults.seed})`);

  experiment(
    "probe",
    "Train linear probes fg->fg, bg->bg, fg->bg and bg->fg on frozen features of the mini dataset",
  ).action(
    withFlagNames(async (flags: Record<string, unknown>) => {
      const progress = terminalProgress("items");
      try {
        const { settings, splits, models } = await prepare(flags, progress);
        const results = probeModels(models, splits, settings.seed, progress);
        progress.stop();
        process.stdout.write(`${formatProbeTable(results)}\n`);
      } finally {
        progress.stop();
      }
    }),
  );

  experiment(
    "spurious",
    "Train heads on the correlated mini split and test them on the anti-correlated split",
  )
    .option(
      "--correlation <p>",
      `correlation of the training split (default: ${defaults.correlation})`,
    )
    .option(
      "--sweep <list>",
      "comma-separated correlations to sweep, for example 0.5,0.9,0.99 " +
        "(the --correlation value is always added to them)",
    )
    .action(
      withFlagNames(async (flags: Record<string, unknown>) => {
        const progress = terminalProgress("items");
        try {
          const { settings, splits, models, sources } = await prepare(flags, progress);
          const sweep = flags.sweep === undefined ? [settings.correlation] : settings.sweep;
          const sweepSettings = { ...settings, sweep };
          const results = await runSweep(sources, sweepSettings, models, splits, progress);
          progress.stop();
          process.stdout.write(`${formatSpuriousTable(results)}\n`);
        } finally {
          progress.stop();
        }
      }),
    );

  program
    .command("demo")
    .description(
      "Run the whole method on the bundled mini dataset and write OUT/report.html and OUT/results.json",
    )
    .option("--out <dir>", "output folder", defaults.out)
    .option("--quick", "reduced dataset and steps (about a minute), for a smoke test")
    .option(
      "--correlation <p>",
      `correlation of the spurious benchmark's training split (default: ${defaults.correlation})`,
    )
    .option(
      "--sweep <list>",
      `comma-separated correlations, with the --correlation value always added to them ` +
        `(default: ${defaults.sweep.join(",")})`,
    )
    .option("--penalty <name>", `wasserstein, mine or linear (default: ${defaults.penalty})`)
    .option(
      "--penalty-weight <x>",
      "weight of the two mutual-information terms (default: the d3s learn default)",
    )
    .option(
      "--steps <n>",
      `training steps per model (default: ${defaults.learn.steps}; --quick: 60)`,
    )
    .option(
      "--pretrain-steps <n>",
      `plain steps before the penalty (default: ${defaults.learn.pretrainSteps}; --quick: 30)`,
    )
    .option("--seed <n>", `seed of splits, training and probes (default: ${defaults.seed})`)
    .option("--write-images", "also write the composited splits under OUT/data")
    .action(
      withFlagNames(async (flags: Record<string, unknown>) => {
        const input = demoInput(flags);
        parseDemoOptions(input);
        const progress = terminalProgress("items");
        try {
          const results = await runDemo(input, progress);
          progress.stop();
          process.stdout.write(formatDemo(results, resolve(String(input.out ?? defaults.out))));
        } finally {
          progress.stop();
        }
      }),
    );
}

/**
 * Validates the shared experiment flags and the model folders, loads the saved models, then
 * composites the splits and trains the models that were not given.
 */
async function prepare(flags: Record<string, unknown>, progress: ProgressListener) {
  // 1. Check every flag and model folder before the slow work.
  const settings = parseDemoOptions(demoInput(flags));
  const modelDir = typeof flags.model === "string" ? flags.model : undefined;
  const baselineDir = typeof flags.baseline === "string" ? flags.baseline : undefined;
  if (baselineDir !== undefined && modelDir === undefined) {
    throw new UserError(
      "--baseline needs --model: pass both saved models, or neither to train them here.",
    );
  }
  if (modelDir !== undefined) await checkModelFolder("model", modelDir);
  if (baselineDir !== undefined) await checkModelFolder("baseline", baselineDir);

  // 2. Load the saved models.
  const models: NamedModel[] = [];
  if (modelDir !== undefined) {
    models.push({ name: "penalised", model: await TrainedModel.load(modelDir) });
  }
  if (baselineDir !== undefined) {
    models.push({ name: "unpenalised", model: await TrainedModel.load(baselineDir) });
  }

  // 3. Composite the splits, then check the saved models' input shape or train both models.
  const sources = await loadMiniSources();
  const splits = await buildDemoSplits(sources, settings, progress);
  if (modelDir !== undefined) {
    const shape = models[0].model.network.spec.inputShape;
    const expected = splits.data.train.inputShape;
    if (shape.join("x") !== expected.join("x")) {
      throw new UserError(
        `Model ${modelDir} takes inputs of shape [${shape}], but the mini dataset has [${expected}]. ` +
          "Probe a model trained on the mini dataset (d3s demo writes them under OUT/models).",
      );
    }
  } else {
    for (const name of ["penalised", "unpenalised"] as const) {
      models.push({
        name,
        model: await trainDemoModel(name, splits.data.train, settings, progress),
      });
    }
  }
  return { settings, sources, splits, models };
}

/** Rejects a model folder without the model.json that d3s learn and d3s demo write. */
async function checkModelFolder(key: "model" | "baseline", dir: string): Promise<void> {
  try {
    await access(join(dir, "model.json"));
  } catch {
    throw invalidOption(
      "option",
      key,
      dir,
      () =>
        "the folder has no model.json. Pass the --out folder of d3s learn, " +
        "or OUT/models/penalised or OUT/models/unpenalised of d3s demo",
    );
  }
}

function demoInput(flags: Record<string, unknown>): DemoOptionsInput {
  return {
    out: flags.out as string | undefined,
    quick: flags.quick === true,
    correlation: optionalNumberFlag("correlation", flags.correlation),
    sweep: typeof flags.sweep === "string" ? numberListFlag("sweep", flags.sweep) : undefined,
    penalty: flags.penalty as DemoOptionsInput["penalty"],
    penaltyWeight: optionalNumberFlag("penaltyWeight", flags.penaltyWeight),
    steps: optionalNumberFlag("steps", flags.steps),
    pretrainSteps: optionalNumberFlag("pretrainSteps", flags.pretrainSteps),
    seed: optionalNumberFlag("seed", flags.seed),
    writeImages: flags.writeImages === true,
  };
}

function parseSplits(list: string): MiniRole[] {
  const names = list
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const bad = names.find((name) => !(MINI_ROLES as readonly string[]).includes(name));
  if (bad !== undefined || names.length === 0) {
    throw new UserError(
      `Invalid --splits "${list}": use a comma-separated list of ${MINI_ROLES.join(", ")}.`,
    );
  }
  return names as MiniRole[];
}

function formatDemo(results: DemoResults, out: string): string {
  const probes = formatProbeTable(
    Object.entries(results.probes).map(([name, rows]) => ({ name, results: rows })),
  );
  const checks = results.expectations
    .map(
      (check) =>
        `  ${check.met ? "met    " : "MISSED "} ${check.name}: ${(check.measured * 100).toFixed(1)} (target ${check.target})`,
    )
    .join("\n");
  return [
    probes,
    "",
    formatSpuriousTable(results.spurious),
    "",
    "Expectations:",
    checks,
    "",
    `Report: ${join(out, "report.html")}`,
    `Results: ${join(out, "results.json")}`,
    `Total time: ${results.timings.total.toFixed(0)} s`,
    "",
  ].join("\n");
}
