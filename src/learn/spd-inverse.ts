/**
 * Inverts a symmetric positive definite `dim x dim` matrix (row-major) in float64 through its
 * Cholesky factor L: A⁻¹ = L⁻ᵀ L⁻¹. Throws when A is not positive definite, which for a shrunk
 * covariance means non-finite features.
 */
export function invertSpd(matrix: Float64Array, dim: number): Float64Array {
  // 1. Cholesky factor, lower triangle: A = L Lᵀ.
  const l = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * dim + j];
      for (let k = 0; k < j; k++) sum -= l[i * dim + k] * l[j * dim + k];
      if (i === j) {
        if (!(sum > 0)) throw new Error(`Matrix is not positive definite (pivot ${i} is ${sum}).`);
        l[i * dim + i] = Math.sqrt(sum);
      } else {
        l[i * dim + j] = sum / l[j * dim + j];
      }
    }
  }
  // 2. M = L⁻¹ by forward substitution, column by column (M is lower triangular).
  const m = new Float64Array(dim * dim);
  for (let column = 0; column < dim; column++) {
    for (let i = column; i < dim; i++) {
      let sum = i === column ? 1 : 0;
      for (let k = column; k < i; k++) sum -= l[i * dim + k] * m[k * dim + column];
      m[i * dim + column] = sum / l[i * dim + i];
    }
  }
  // 3. A⁻¹ = Mᵀ M, symmetric, so only the upper triangle is computed.
  const inverse = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      let sum = 0;
      for (let k = j; k < dim; k++) sum += m[k * dim + i] * m[k * dim + j];
      inverse[i * dim + j] = sum;
      inverse[j * dim + i] = sum;
    }
  }
  return inverse;
}
