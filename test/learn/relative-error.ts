/**
 * Returns the largest |actual - expected| over a tensor divided by the largest |expected|: a
 * relative error per tensor. An all-zero expected tensor (an output bias whose gradient
 * cancels) gives 0 only when `actual` is all zeros too, and Infinity otherwise.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  if (scale > 0) return difference / scale;
  return difference === 0 ? 0 : Infinity;
}
