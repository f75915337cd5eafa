import { join } from "node:path";
import { logger } from "../core/log.js";
import { silentProgress, type ProgressListener } from "../core/progress.js";
import { loadClassMap, type ClassMap } from "./class-map.js";
import { classifyDataset, type DatasetPredictions } from "./classify.js";
import { loadDataset, type Dataset } from "./datasets.js";
import { DecodePool } from "./decode-pool.js";
import { summarize, type CellRow, type MetricRow } from "./metrics.js";
import { checkModelOutputs } from "./model-outputs.js";
import { loadModel, parseModelSpec } from "./models.js";
import type { Classifier } from "./onnx-classifier.js";
import { parseEvaluateOptions, type EvaluateInput, type EvaluateOptions } from "./options.js";
import { describePreprocess } from "./preprocess-config.js";
import { writeEvaluateReport } from "./report.js";
import type { ImagePrediction, ModelResult, SetSummary } from "./results.js";
import { writeResults } from "./results.js";
import { scoreImages, scoreSpaces } from "./scoring.js";

/** Result of `evaluate`: the per-model results and the files written. */
export interface EvaluateOutput {
  results: ModelResult[];
  files: string[];
}

function uniqueNames(models: Classifier[]): void {
  const seen = new Map<string, number>();
  for (const model of models) {
    const count = (seen.get(model.name) ?? 0) + 1;
    seen.set(model.name, count);
    if (count > 1) model.name = `${model.name}-${count}`;
  }
}

function setSummary(dataset: Dataset, predictions: DatasetPredictions): SetSummary {
  const readable = predictions.readable.reduce((sum, value) => sum + value, 0);
  return {
    root: dataset.root,
    layout: dataset.layout,
    images: dataset.items.length,
    readable,
    unreadable: dataset.items.length - readable,
    skipped: predictions.skipped,
  };
}

function imagePredictions(dataset: Dataset, predictions: DatasetPredictions, model: number): ImagePrediction[] {
  const { top5, restrictedTop5 } = predictions.models[model];
  return dataset.items.flatMap((item, i) => {
    if (!predictions.readable[i]) return [];
    const entry: ImagePrediction = {
      file: item.file,
      label: item.label,
      background: item.background,
      top5: Array.from(top5.subarray(i * 5, i * 5 + 5)),
    };
    if (restrictedTop5) entry.restrictedTop5 = Array.from(restrictedTop5.subarray(i * 5, i * 5 + 5));
    return [entry];
  });
}

/**
 * Evaluates classifiers on a shifted dataset and an optional reference set, and writes
 * per-model JSON, results.csv and report.html into `out`.
 */
export async function evaluate(
  input: EvaluateInput,
  progress: ProgressListener = silentProgress,
): Promise<EvaluateOutput> {
  // 1. Validate every option before opening a file or a session.
  const options: EvaluateOptions = parseEvaluateOptions(input);
  const specs = options.models.map(parseModelSpec);

  // 2. Read the class map and the image lists.
  const classMap = options.classMap ? await loadClassMap(options.classMap) : undefined;
  const layout = options.layout === "auto" ? undefined : options.layout;
  const dataset = await loadDataset(options.dataset, layout);
  const reference = options.reference ? await loadDataset(options.reference, undefined, "--reference") : undefined;

  // 3. Start the decode workers, then open one session per model (two for CLIP) while they
  //    load, and check each model's output count before any image is decoded.
  const pool = new DecodePool(options.workers);
  const models: Classifier[] = [];
  try {
    for (const spec of specs) {
      models.push(await loadModel(spec, { ...options, defaultPreprocess: options.preprocess }));
      checkModelOutputs(models[models.length - 1], classMap);
    }
    uniqueNames(models);

    // 4. Classify both sets in one pass each, decoding each image once.
    const classify = { workers: options.workers, batchSize: options.batchSize, classMap, progress, pool };
    const datasetPredictions = await classifyDataset(dataset, models, { ...classify, stage: "dataset" });
    const referencePredictions = reference
      ? await classifyDataset(reference, models, { ...classify, stage: "reference" })
      : undefined;

    // 5. Score, bootstrap and summarise each model.
    const results = models.map((model, m) =>
      modelResult(model, m, options, classMap, { dataset, datasetPredictions, reference, referencePredictions }),
    );

    // 6. Write JSON, CSV and the report.
    const files = await writeResults(options.out, results);
    if (options.report) {
      files.push(await writeEvaluateReport(join(options.out, "report.html"), results, { dataset, reference, classMap }));
    }
    logger().info({ files }, "evaluate finished");
    return { results, files };
  } finally {
    await pool.close();
    for (const model of models) await model.close();
  }
}

interface SetsAndPredictions {
  dataset: Dataset;
  datasetPredictions: DatasetPredictions;
  reference?: Dataset;
  referencePredictions?: DatasetPredictions;
}

function modelResult(
  model: Classifier,
  m: number,
  options: EvaluateOptions,
  classMap: ClassMap | undefined,
  sets: SetsAndPredictions,
): ModelResult {
  const bootstrap = { resamples: options.resamples, seed: options.seed };
  const rows: MetricRow[] = [];
  const cells: CellRow[] = [];
  for (const space of scoreSpaces(options.labelSpace, classMap)) {
    const scored = scoreImages(
      sets.dataset.items,
      sets.datasetPredictions.readable,
      sets.datasetPredictions.models[m],
      space,
      options.labelSpace,
      classMap,
    );
    const referenceScored =
      sets.reference && sets.referencePredictions
        ? scoreImages(
            sets.reference.items,
            sets.referencePredictions.readable,
            sets.referencePredictions.models[m],
            space,
            options.labelSpace,
            classMap,
          )
        : undefined;
    const summary = summarize(sets.dataset.items, scored, referenceScored, bootstrap, model.name);
    rows.push(...summary.rows);
    cells.push(...summary.cells);
  }
  const result: ModelResult = {
    model: {
      name: model.name,
      kind: model.kind,
      source: model.source,
      sha256: model.hash,
      preprocess: model.preprocess,
      preprocessing: describePreprocess(model.preprocess),
    },
    labelSpace: options.labelSpace,
    bootstrap,
    sets: { dataset: setSummary(sets.dataset, sets.datasetPredictions) },
    rows,
    cells,
    predictions: { dataset: imagePredictions(sets.dataset, sets.datasetPredictions, m) },
  };
  if (classMap) result.classMap = { name: classMap.name, labels: classMap.labels };
  if (sets.reference && sets.referencePredictions) {
    result.sets.reference = setSummary(sets.reference, sets.referencePredictions);
    result.predictions.reference = imagePredictions(sets.reference, sets.referencePredictions, m);
  }
  return result;
}
