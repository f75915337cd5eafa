import type { Random } from "../../core/rng.js";

/**
 * How a split assigns backgrounds to classes. `balanced`: every class on every background
 * equally often. `correlated`: class c on its paired background c for a fraction
 * `correlation` of its items, the rest spread evenly over the other backgrounds. `anti`: never
 * on the paired background, spread evenly over the others.
 */
export type BackgroundPlan = "balanced" | "correlated" | "anti";

/** Returns the background paired with a class in the correlated splits: class c with background c. */
export function pairedBackground(label: number, numBackgrounds: number): number {
  return label % numBackgrounds;
}

/**
 * Assigns a background label to each item. Counts are exact rather than sampled: a class of n
 * items gets round(correlation x n) items on its paired background, and the remaining items
 * cycle through the other backgrounds, so small splits keep the intended proportions. Which
 * item gets which background is shuffled with `random`.
 */
export function planBackgrounds(
  labels: readonly number[],
  plan: BackgroundPlan,
  numBackgrounds: number,
  correlation: number,
  random: Random,
): number[] {
  const backgrounds = new Array<number>(labels.length);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, item) => {
    const items = byClass.get(label) ?? [];
    items.push(item);
    byClass.set(label, items);
  });
  for (const [label, items] of [...byClass].sort((a, b) => a[0] - b[0])) {
    random.shuffle(items);
    const paired = pairedBackground(label, numBackgrounds);
    const others = Array.from({ length: numBackgrounds }, (_, b) => b).filter((b) => b !== paired);
    const pairedCount = plan === "correlated" ? Math.round(correlation * items.length) : 0;
    items.forEach((item, k) => {
      if (plan === "balanced") backgrounds[item] = k % numBackgrounds;
      else if (k < pairedCount) backgrounds[item] = paired;
      else backgrounds[item] = others[(k - pairedCount) % others.length];
    });
  }
  return backgrounds;
}
