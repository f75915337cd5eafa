/** One binary label (for example "object present") from one annotator on one item. */
export interface BinaryLabel {
  item: string;
  annotator: string;
  value: boolean;
}

/** Result of dawidSkene: posterior P(true) per item and each annotator's confusion rates. */
export interface DawidSkeneResult {
  posterior: Map<string, number>;
  /** P(says true | truly true) and P(says false | truly false) per annotator. */
  annotators: Map<string, { sensitivity: number; specificity: number }>;
  prior: number;
  /** EM rounds run (each an M step then an E step). */
  iterations: number;
}

/** Options of dawidSkene. */
export interface DawidSkeneOptions {
  /** Items with known labels (gold); their posterior stays fixed at 0 or 1. */
  known?: Map<string, boolean>;
  /** Largest number of EM rounds (default 100). */
  maxIterations?: number;
  /** Stop when no posterior moves more than this (default 1e-6). */
  tolerance?: number;
}

/**
 * Estimates the true binary label of each item from noisy annotators with the two-class
 * Dawid-Skene EM algorithm. It starts from the share of true votes per item. Each round then
 * fits every annotator's sensitivity and specificity and the class prior to the current
 * posteriors (M step), and recomputes each item's posterior from its annotators' likelihoods
 * (E step). Rates get add-one (Laplace) smoothing, so an annotator with few items never reaches
 * 0 or 1 and cannot veto every item alone.
 */
export function dawidSkene(labels: BinaryLabel[], options: DawidSkeneOptions = {}): DawidSkeneResult {
  const known = options.known ?? new Map<string, boolean>();
  const byItem = groupBy(labels, (label) => label.item);
  let posterior = new Map<string, number>();
  for (const [item, itemLabels] of byItem) {
    const fixed = known.get(item);
    posterior.set(item, fixed === undefined ? share(itemLabels) : Number(fixed));
  }
  let annotators = new Map<string, { sensitivity: number; specificity: number }>();
  let prior = 0.5;
  let iterations = 0;
  while (iterations < (options.maxIterations ?? 100)) {
    iterations += 1;
    ({ annotators, prior } = maximize(labels, posterior));
    const next = expect(byItem, annotators, prior, known);
    let change = 0;
    for (const [item, p] of next) change = Math.max(change, Math.abs(p - (posterior.get(item) ?? 0)));
    posterior = next;
    if (change < (options.tolerance ?? 1e-6)) break;
  }
  return { posterior, annotators, prior, iterations };
}

function maximize(
  labels: BinaryLabel[],
  posterior: Map<string, number>,
): { annotators: Map<string, { sensitivity: number; specificity: number }>; prior: number } {
  const counts = new Map<string, { truePositive: number; positive: number; trueNegative: number; negative: number }>();
  for (const label of labels) {
    const p = posterior.get(label.item) ?? 0.5;
    const entry = counts.get(label.annotator) ?? { truePositive: 1, positive: 2, trueNegative: 1, negative: 2 };
    entry.positive += p;
    entry.negative += 1 - p;
    if (label.value) entry.truePositive += p;
    else entry.trueNegative += 1 - p;
    counts.set(label.annotator, entry);
  }
  const annotators = new Map(
    [...counts].map(([annotator, c]) => [
      annotator,
      { sensitivity: c.truePositive / c.positive, specificity: c.trueNegative / c.negative },
    ]),
  );
  const values = [...posterior.values()];
  const prior = (1 + values.reduce((total, p) => total + p, 0)) / (2 + values.length);
  return { annotators, prior };
}

function expect(
  byItem: Map<string, BinaryLabel[]>,
  annotators: Map<string, { sensitivity: number; specificity: number }>,
  prior: number,
  known: Map<string, boolean>,
): Map<string, number> {
  const posterior = new Map<string, number>();
  for (const [item, itemLabels] of byItem) {
    const fixed = known.get(item);
    if (fixed !== undefined) {
      posterior.set(item, Number(fixed));
      continue;
    }
    // Work in log space: twenty agreeing annotators would underflow a plain product.
    let logTrue = Math.log(prior);
    let logFalse = Math.log(1 - prior);
    for (const label of itemLabels) {
      const rates = annotators.get(label.annotator) as { sensitivity: number; specificity: number };
      logTrue += Math.log(label.value ? rates.sensitivity : 1 - rates.sensitivity);
      logFalse += Math.log(label.value ? 1 - rates.specificity : rates.specificity);
    }
    posterior.set(item, 1 / (1 + Math.exp(logFalse - logTrue)));
  }
  return posterior;
}

function share(labels: BinaryLabel[]): number {
  return labels.filter((label) => label.value).length / labels.length;
}

function groupBy<T>(values: T[], key: (value: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const value of values) {
    const name = key(value);
    const group = groups.get(name);
    if (group === undefined) groups.set(name, [value]);
    else group.push(value);
  }
  return groups;
}
