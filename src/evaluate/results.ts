import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { writeFileAtomic, writeJsonAtomic } from "../core/atomic.js";
import type { Interval } from "./bootstrap.js";
import type { DatasetLayout } from "./datasets.js";
import type { ModelKind } from "./onnx-classifier.js";
import type { CellRow, MetricRow } from "./metrics.js";
import type { PreprocessConfig } from "./preprocess-config.js";

/** Read statistics of one set: image counts and the skipped files with reasons. */
export interface SetSummary {
  root: string;
  layout: DatasetLayout;
  images: number;
  readable: number;
  unreadable: number;
  skipped: Array<{ file: string; reason: string }>;
}

/** One image's predictions, kept for the report's image lists. */
export interface ImagePrediction {
  file: string;
  label: number;
  background: string;
  top5: number[];
  restrictedTop5?: number[];
}

/** Everything measured for one model; written as `<out>/<model>.json`. */
export interface ModelResult {
  model: {
    name: string;
    kind: ModelKind;
    source: string;
    sha256: string;
    preprocess: PreprocessConfig;
    preprocessing: string;
  };
  classMap?: { name: string; labels: string[] };
  labelSpace: "model" | "target";
  bootstrap: { resamples: number; seed: number };
  sets: { dataset: SetSummary; reference?: SetSummary };
  rows: MetricRow[];
  cells: CellRow[];
  predictions: { dataset: ImagePrediction[]; reference?: ImagePrediction[] };
}

const CSV_COLUMNS = [
  "model",
  "kind",
  "model_sha256",
  "preprocessing",
  "space",
  "set",
  "scope",
  "n",
  "unreadable",
  "top1",
  "top1_low",
  "top1_high",
  "top5",
  "top5_low",
  "top5_high",
  "drop_top1",
  "drop_top1_low",
  "drop_top1_high",
  "drop_top5",
  "drop_top5_low",
  "drop_top5_high",
];

function round(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? "" : value.toFixed(6);
}

function bounds(ci: Interval | undefined): [string, string] {
  return [round(ci?.[0]), round(ci?.[1])];
}

/** Returns the combined CSV: one row per model, score space, set and scope. */
export function resultsCsv(results: ModelResult[]): string {
  const records = results.flatMap((result) =>
    result.rows.map((row) => {
      const set = row.set === "reference" ? result.sets.reference : result.sets.dataset;
      return [
        result.model.name,
        result.model.kind,
        result.model.sha256,
        result.model.preprocessing,
        row.space,
        row.set,
        row.scope,
        String(row.n),
        String(row.scope === "overall" ? (set?.unreadable ?? 0) : ""),
        round(row.top1),
        ...bounds(row.top1Ci),
        round(row.top5),
        ...bounds(row.top5Ci),
        round(row.dropTop1),
        ...bounds(row.dropTop1Ci),
        round(row.dropTop5),
        ...bounds(row.dropTop5Ci),
      ];
    }),
  );
  return stringify([CSV_COLUMNS, ...records]);
}

/** Writes each model's JSON and the combined results.csv into `out`; returns the paths written. */
export async function writeResults(out: string, results: ModelResult[]): Promise<string[]> {
  const paths: string[] = [];
  for (const result of results) {
    const path = join(out, `${result.model.name}.json`);
    await writeJsonAtomic(path, result);
    paths.push(path);
  }
  const csvPath = join(out, "results.csv");
  await writeFileAtomic(csvPath, resultsCsv(results));
  paths.push(csvPath);
  return paths;
}
