import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../core/atomic.js";
import { silentProgress, type ProgressListener } from "../core/progress.js";
import { buildMiniSplit, type MiniSplit } from "../data/mini/dataset.js";
import { writeMiniSplit } from "../data/mini/export.js";
import { miniLearnData } from "../data/mini/learnData.js";
import { loadMiniSources, type MiniSources } from "../data/mini/load.js";
import type { MiniRole } from "../data/mini/manifest.js";
import { buildLearnReport } from "../report/learn.js";
import { demoSamplePng } from "./demo-sample.js";
import { parseDemoOptions, type DemoOptionsInput, type DemoSettings } from "./demo-options.js";
import { checkExpectations, type DemoModel, type DemoResults } from "./demo-results.js";
import type { LearnData } from "./data.js";
import { extractFeatures } from "./probe-features.js";
import { runProbes, type ProbeResult } from "./probe.js";
import { runSpurious, type SpuriousResult } from "./spurious.js";
import { trainInvariant, type TrainedModel } from "./train.js";

const MODELS: readonly DemoModel[] = ["penalised", "unpenalised"];

/** The composited splits of the demo, as images and as training data. */
export interface DemoSplits {
  train: MiniSplit;
  val: MiniSplit;
  anti: MiniSplit;
  data: { train: LearnData; val: LearnData; anti: LearnData };
}

/** A trained model under the name it has in tables. */
export interface NamedModel {
  name: string;
  model: TrainedModel;
}

/**
 * Runs the whole method on the bundled mini dataset and writes OUT/report.html and
 * OUT/results.json (plus the two trained models under OUT/models):
 * splits, two trainings, probes, the spurious-correlation benchmark and its sweep.
 */
export async function runDemo(
  input: DemoOptionsInput = {},
  progress: ProgressListener = silentProgress,
): Promise<DemoResults> {
  const settings = parseDemoOptions(input);
  const timings: Record<string, number> = {};
  const started = Date.now();
  const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const value = await work();
    timings[stage] = (Date.now() - t0) / 1000;
    return value;
  };

  // 1. Composite the balanced train and val splits and the anti-correlated test split.
  const sources = await loadMiniSources();
  const splits = await timed("splits", () => buildDemoSplits(sources, settings, progress));

  // 2. Train the penalised model and the same model without the penalty.
  const models: NamedModel[] = [];
  for (const name of MODELS) {
    const model = await timed(`train ${name}`, () =>
      trainDemoModel(name, splits.data.train, settings, progress),
    );
    await model.save(join(settings.out, "models", name));
    models.push({ name, model });
  }

  // 3. Probe the frozen features of both models: train probes on train, score on val.
  const probeResults = await timed("probes", async () =>
    probeModels(models, splits, settings.seed, progress),
  );
  const probes = Object.fromEntries(
    probeResults.map((r) => [r.name, r.results]),
  ) as DemoResults["probes"];

  // 4. Spurious-correlation benchmark at every correlation of the sweep.
  const sweep = await timed("spurious sweep", () =>
    runSweep(sources, settings, models, splits, progress),
  );
  const spurious = sweep.filter((result) => result.correlation === settings.correlation);

  // 5. Write results.json and report.html.
  timings.total = (Date.now() - started) / 1000;
  const results: DemoResults = {
    version: 1,
    createdAt: new Date().toISOString(),
    settings: { ...settings },
    dataset: {
      imageSize: splits.train.size,
      classNames: splits.train.classNames,
      backgroundNames: splits.train.backgroundNames,
      splitSizes: {
        train: splits.train.fgLabels.length,
        val: splits.val.fgLabels.length,
        correlated: settings.perClass.correlated * splits.train.classNames.length,
        anti: splits.anti.fgLabels.length,
      },
    },
    training: Object.fromEntries(
      models.map(({ name, model }) => [
        name,
        {
          seconds: timings[`train ${name}`],
          history: model.history,
          fgDim: model.fgDim,
          bgDim: model.bgDim,
        },
      ]),
    ) as DemoResults["training"],
    probes,
    spurious,
    sweep,
    expectations: checkExpectations({ probes, spurious }),
    timings,
    samplePng: (await demoSamplePng(splits.train)).toString("base64"),
  };
  await writeJsonAtomic(join(settings.out, "results.json"), results);
  await writeFileAtomic(join(settings.out, "report.html"), buildLearnReport(results));
  if (settings.writeImages) {
    for (const split of [splits.train, splits.val, splits.anti]) {
      await writeMiniSplit(join(settings.out, "data"), split, progress);
    }
  }
  return results;
}

/** Composites the train, val and anti-correlated splits of the demo's preset. */
export async function buildDemoSplits(
  sources: MiniSources,
  settings: DemoSettings,
  progress: ProgressListener,
): Promise<DemoSplits> {
  const train = await buildSplit(sources, settings, "train", settings.correlation, progress);
  const val = await buildSplit(sources, settings, "val", settings.correlation, progress);
  const anti = await buildSplit(sources, settings, "anti", settings.correlation, progress);
  return {
    train,
    val,
    anti,
    data: { train: miniLearnData(train), val: miniLearnData(val), anti: miniLearnData(anti) },
  };
}

/** Trains the demo's CNN with the penalty ("penalised") or without it ("unpenalised"). */
export async function trainDemoModel(
  name: DemoModel,
  data: LearnData,
  settings: DemoSettings,
  progress: ProgressListener,
): Promise<TrainedModel> {
  return trainInvariant(
    data,
    { ...settings.learn, penalty: name === "penalised" ? settings.penalty : "none" },
    (event) => progress({ ...event, stage: `learn (${name})` }),
  );
}

/** Runs the four probes on each model: probes train on the train split and score on val. */
export function probeModels(
  models: readonly NamedModel[],
  splits: Pick<DemoSplits, "data">,
  seed: number,
  progress: ProgressListener,
): Array<{ name: string; results: ProbeResult[] }> {
  return models.map(({ name, model }, i) => {
    const train = extractFeatures(model, splits.data.train);
    const val = extractFeatures(model, splits.data.val);
    const results = runProbes(train, val, { seed });
    progress({ stage: "probes", done: i + 1, total: models.length });
    return { name, results };
  });
}

async function buildSplit(
  sources: MiniSources,
  settings: DemoSettings,
  split: MiniRole,
  correlation: number,
  progress: ProgressListener,
): Promise<MiniSplit> {
  return buildMiniSplit(
    sources,
    { split, correlation, seed: settings.seed, perClass: settings.perClass[split] },
    progress,
  );
}

/** Trains both heads of every model on a correlated split per correlation, scored on anti. */
export async function runSweep(
  sources: MiniSources,
  settings: DemoSettings,
  models: readonly NamedModel[],
  splits: Pick<DemoSplits, "data">,
  progress: ProgressListener,
): Promise<SpuriousResult[]> {
  const antiFeatures = models.map(({ model }) => extractFeatures(model, splits.data.anti));
  const results: SpuriousResult[] = [];
  for (const [i, correlation] of settings.sweep.entries()) {
    const split = await buildSplit(sources, settings, "correlated", correlation, progress);
    const data = miniLearnData(split);
    if (settings.writeImages && correlation === settings.correlation) {
      await writeMiniSplit(join(settings.out, "data"), split, progress);
    }
    models.forEach(({ name, model }, m) => {
      const correlated = extractFeatures(model, data);
      results.push(
        ...runSpurious(correlated, antiFeatures[m], {
          model: name,
          correlation,
          probe: { seed: settings.seed },
        }),
      );
    });
    progress({
      stage: "spurious sweep",
      done: i + 1,
      total: settings.sweep.length,
      status: `p = ${correlation}`,
    });
  }
  return results;
}
