import { difference, interval, resampleMeans, type BootstrapOptions, type Interval } from "./bootstrap.js";
import type { EvalItem } from "./datasets.js";
import type { ScoredImages, ScoreSpace } from "./scoring.js";

/** Accuracy of one group of images, with 95% bootstrap intervals. */
export interface Accuracy {
  n: number;
  top1: number;
  top1Ci: Interval;
  top5: number;
  top5Ci: Interval;
}

/** One result row: a figure for the whole set or one background, with the drop when a reference exists. */
export interface MetricRow extends Accuracy {
  space: ScoreSpace;
  /** `dataset` (the shifted set) or `reference`. */
  set: "dataset" | "reference";
  /** `overall`, or a background key. */
  scope: string;
  /** Reference accuracy minus this accuracy (positive means worse than the reference). */
  dropTop1?: number;
  dropTop1Ci?: Interval;
  dropTop5?: number;
  dropTop5Ci?: Interval;
}

/** Accuracy of one class on one background. */
export interface CellRow {
  space: ScoreSpace;
  label: number;
  background: string;
  n: number;
  correctTop1: number;
  correctTop5: number;
  top1: number;
  top1Ci: Interval;
}

interface Group {
  accuracy: Accuracy;
  top1Means: Float64Array;
  top5Means: Float64Array;
}

function mean(values: Uint8Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

function pick(values: Uint8Array, positions: number[]): Uint8Array {
  return Uint8Array.from(positions, (p) => values[p]);
}

function group(top1: Uint8Array, top5: Uint8Array, bootstrap: BootstrapOptions, name: string): Group {
  const [top1Means, top5Means] = resampleMeans([top1, top5], bootstrap, name);
  return {
    accuracy: {
      n: top1.length,
      top1: mean(top1),
      top1Ci: interval(top1Means),
      top5: mean(top5),
      top5Ci: interval(top5Means),
    },
    top1Means,
    top5Means,
  };
}

function withDrop(row: MetricRow, groupOf: Group, reference: Group | undefined): MetricRow {
  if (reference === undefined) return row;
  return {
    ...row,
    dropTop1: reference.accuracy.top1 - groupOf.accuracy.top1,
    dropTop1Ci: interval(difference(reference.top1Means, groupOf.top1Means)),
    dropTop5: reference.accuracy.top5 - groupOf.accuracy.top5,
    dropTop5Ci: interval(difference(reference.top5Means, groupOf.top5Means)),
  };
}

function positionsBy(scored: ScoredImages, keyOf: (item: number, position: number) => string): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  scored.items.forEach((item, position) => {
    const key = keyOf(item, position);
    const list = groups.get(key) ?? [];
    list.push(position);
    groups.set(key, list);
  });
  return new Map([...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

/**
 * Computes the result rows of one model in one score space: the reference set overall, the
 * dataset overall and per background, each with its drop against the reference overall, plus
 * the class x background cells of the dataset. `name` (the model name) seeds the bootstrap.
 */
export function summarize(
  items: EvalItem[],
  scored: ScoredImages,
  reference: ScoredImages | undefined,
  bootstrap: BootstrapOptions,
  name: string,
): { rows: MetricRow[]; cells: CellRow[] } {
  const space = scored.space;
  const seedName = (scope: string) => `${name}:${space}:${scope}`;

  // 1. Reference and dataset overall.
  const rows: MetricRow[] = [];
  const referenceGroup = reference
    ? group(reference.top1, reference.top5, bootstrap, seedName("reference"))
    : undefined;
  if (referenceGroup) rows.push({ space, set: "reference", scope: "overall", ...referenceGroup.accuracy });
  const overall = group(scored.top1, scored.top5, bootstrap, seedName("overall"));
  rows.push(withDrop({ space, set: "dataset", scope: "overall", ...overall.accuracy }, overall, referenceGroup));

  // 2. Per background.
  for (const [background, positions] of positionsBy(scored, (item) => items[item].background)) {
    const subset = group(pick(scored.top1, positions), pick(scored.top5, positions), bootstrap, seedName(background));
    rows.push(withDrop({ space, set: "dataset", scope: background, ...subset.accuracy }, subset, referenceGroup));
  }

  // 3. Class x background cells, keeping counts.
  const cells: CellRow[] = [];
  const byCell = positionsBy(scored, (item, position) => `${scored.labels[position]}\u0000${items[item].background}`);
  for (const [key, positions] of byCell) {
    const [label, background] = key.split("\u0000");
    const top1 = pick(scored.top1, positions);
    const top5 = pick(scored.top5, positions);
    const cell = group(top1, top5, bootstrap, seedName(`cell:${key}`));
    cells.push({
      space,
      label: Number(label),
      background,
      n: positions.length,
      correctTop1: top1.reduce((sum, value) => sum + value, 0),
      correctTop5: top5.reduce((sum, value) => sum + value, 0),
      top1: cell.accuracy.top1,
      top1Ci: cell.accuracy.top1Ci,
    });
  }
  cells.sort((a, b) => a.label - b.label || (a.background < b.background ? -1 : 1));
  return { rows, cells };
}
