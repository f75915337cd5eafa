/** Accuracy broken down by group, where a group is one (class, background) pair. */
export interface GroupAccuracy {
  accuracy: number;
  /**
   * Lowest accuracy over the groups with at least `minGroupSize` examples (NaN when none has),
   * so that a group of one or two stray examples does not decide it.
   */
  worstGroup: number;
  /** The worst group's class and background labels. */
  worst: { fg: number; bg: number };
  /** Accuracy per background label (NaN when a background has no example). */
  perBackground: number[];
  /** Accuracy per [class][background] (NaN for empty groups). */
  groups: number[][];
}

/** Examples a group needs to count for the worst group. */
export const MIN_GROUP_SIZE = 5;

/** Scores predictions of the foreground class per (class, background) group. */
export function groupAccuracy(
  predictions: Int32Array,
  fgLabels: Int32Array,
  bgLabels: Int32Array,
  numFg: number,
  numBg: number,
  minGroupSize = MIN_GROUP_SIZE,
): GroupAccuracy {
  const correct = Array.from({ length: numFg }, () => new Array<number>(numBg).fill(0));
  const total = Array.from({ length: numFg }, () => new Array<number>(numBg).fill(0));
  predictions.forEach((prediction, i) => {
    total[fgLabels[i]][bgLabels[i]] += 1;
    if (prediction === fgLabels[i]) correct[fgLabels[i]][bgLabels[i]] += 1;
  });
  const groups = total.map((row, fg) =>
    row.map((count, bg) => (count === 0 ? Number.NaN : correct[fg][bg] / count)),
  );
  let worst = { fg: -1, bg: -1 };
  let worstGroup = Number.POSITIVE_INFINITY;
  groups.forEach((row, fg) =>
    row.forEach((value, bg) => {
      if (total[fg][bg] >= minGroupSize && value < worstGroup) {
        worstGroup = value;
        worst = { fg, bg };
      }
    }),
  );
  const perBackground = Array.from({ length: numBg }, (_, bg) => {
    let right = 0;
    let count = 0;
    for (let fg = 0; fg < numFg; fg++) {
      right += correct[fg][bg];
      count += total[fg][bg];
    }
    return count === 0 ? Number.NaN : right / count;
  });
  const right = correct.flat().reduce((a, b) => a + b, 0);
  return {
    accuracy: predictions.length === 0 ? Number.NaN : right / predictions.length,
    worstGroup: Number.isFinite(worstGroup) ? worstGroup : Number.NaN,
    worst,
    perBackground,
    groups,
  };
}
