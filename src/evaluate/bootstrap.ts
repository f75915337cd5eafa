import { Random } from "../core/rng.js";

/** A 95% percentile bootstrap interval: the 2.5th and 97.5th percentiles of the resampled figure. */
export type Interval = [number, number];

/** Bootstrap settings. */
export interface BootstrapOptions {
  /** Number of resamples; default 1000. */
  resamples: number;
  /** Seed of the run. Each figure derives its own stream from it and the figure's name. */
  seed: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** Returns the 2.5th and 97.5th percentiles of the values. */
export function interval(values: Float64Array): Interval {
  const sorted = Float64Array.from(values).sort();
  return [percentile(sorted, 0.025), percentile(sorted, 0.975)];
}

/**
 * Resamples the images of a group with replacement and returns, per resample, the mean of each
 * 0/1 column (for example top-1 and top-5 correctness, drawn with the same indices so the two
 * stay paired). `name` seeds the stream, so a figure's interval does not depend on which other
 * figures were computed.
 */
export function resampleMeans(
  columns: Uint8Array[],
  options: BootstrapOptions,
  name: string,
): Float64Array[] {
  const n = columns[0]?.length ?? 0;
  const means = columns.map(() => new Float64Array(options.resamples));
  if (n === 0) {
    for (const column of means) column.fill(Number.NaN);
    return means;
  }
  const random = new Random(`${options.seed}:${name}`);
  const sums = new Float64Array(columns.length);
  for (let r = 0; r < options.resamples; r++) {
    sums.fill(0);
    for (let i = 0; i < n; i++) {
      // nextUint32 / 2^32 is uniform on [0, 1), and one draw per index keeps resampling fast.
      const index = Math.floor((random.nextUint32() / 4294967296) * n);
      for (let c = 0; c < columns.length; c++) sums[c] += columns[c][index];
    }
    for (let c = 0; c < columns.length; c++) means[c][r] = sums[c] / n;
  }
  return means;
}

/** Returns a - b element-wise (the resampled accuracy drop when a is the reference). */
export function difference(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((value, i) => value - b[i]);
}
