/**
 * Returns Fleiss' kappa for a table of counts: `counts[i][j]` raters put item i in category j.
 * Items may have different numbers of raters; each item's agreement is
 * P_i = (sum_j n_ij^2 - n_i) / (n_i (n_i - 1)), and items with fewer than two raters are
 * skipped. kappa = (mean P_i - P_e) / (1 - P_e) with P_e = sum_j p_j^2, where p_j is category
 * j's share of all ratings. Returns NaN when no item has two raters or every
 * rating falls in one category (P_e = 1).
 */
export function fleissKappa(counts: number[][]): number {
  const rated = counts.filter((row) => sum(row) >= 2);
  if (rated.length === 0) return Number.NaN;
  const categories = rated[0].length;
  const totals = new Array<number>(categories).fill(0);
  let agreement = 0;
  for (const row of rated) {
    const raters = sum(row);
    agreement += (sum(row.map((n) => n * n)) - raters) / (raters * (raters - 1));
    row.forEach((n, j) => (totals[j] += n));
  }
  const all = sum(totals);
  const observed = agreement / rated.length;
  const expected = sum(totals.map((total) => (total / all) ** 2));
  if (expected === 1) return Number.NaN;
  return (observed - expected) / (1 - expected);
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
