import { tf } from "./backend.js";
import { Parameters } from "./parameters.js";
import { invertSpd } from "./spd-inverse.js";

/** Settings of a linear-dependence term. */
export interface LinearDependenceSettings {
  /** Update rate of the moving mean and covariance of the features. */
  averageRate: number;
  /** Ridge added to the covariance before inverting it, as a fraction of its mean variance. */
  shrinkage: number;
}

/** Feature parts up to this size refresh the precision every step, larger ones every 20 steps. */
const EVERY_STEP_DIM = 512;
const LARGE_REFRESH_STEPS = 20;

/**
 * A mutual-information penalty without a critic: the linear dependence between features z and
 * a label y, measured as Pillai's trace V = Σ_y p_y (μ_y - μ)ᵀ Σ⁻¹ (μ_y - μ), the sum of the
 * squared canonical correlations between z and one-hot y. For Gaussian classes with a shared
 * covariance whose means differ little, I(z; y) is about V / 2 nats. V = 0 exactly when every
 * class has the same feature mean, which is when no linear probe can beat chance.
 *
 * Σ is a moving average of the feature covariance, held constant in the gradient, so the model
 * cannot lower V by hiding the label in directions of small variance. Its overall scale comes
 * from the current batch, with gradient, so shrinking or growing every feature does not change V
 * either. Each (μ_y - μ)ᵀ Σ⁻¹ (μ_y - μ) is estimated without bias from the batch, from the pairs
 * of distinct examples of class y, so batch noise adds no pull towards tighter classes.
 *
 * The moving averages live in `stats` (a Parameters set, so checkpoints save them):
 * `mean` [d], `covariance` [d, d], `observed` [1] (1 once initialised) and `frozen` [d, d], the
 * covariance the current precision was computed from.
 */
export class LinearDependenceTerm {
  readonly stats = new Parameters();
  private precision: tf.Tensor2D | undefined;
  private precisionTrace = 1;

  constructor(
    readonly name: string,
    readonly dim: number,
    readonly numClasses: number,
    readonly settings: LinearDependenceSettings,
  ) {
    this.stats.zeros("mean", [dim]);
    this.stats.zeros("covariance", [dim, dim]);
    this.stats.zeros("observed", [1]);
    this.stats.zeros("frozen", [dim, dim]);
  }

  /** Whether the moving averages have seen at least one batch. */
  get observed(): boolean {
    return this.stats.get("observed").dataSync()[0] > 0;
  }

  /**
   * Folds a batch of detached features into the moving mean and covariance, then refreshes the
   * precision on the steps that call for it (every step for up to 512 features).
   */
  observe(features: tf.Tensor2D, step: number): void {
    const first = !this.observed;
    const rate = first ? 1 : this.settings.averageRate;
    tf.tidy(() => {
      const mean = tf.mean(features, 0);
      const centred = tf.sub(features, mean);
      const covariance = tf.div(tf.matMul(centred, centred, true, false), features.shape[0]);
      const blend = (name: string, value: tf.Tensor) => {
        const variable = this.stats.get(name);
        variable.assign(tf.add(tf.mul(1 - rate, variable), tf.mul(rate, value)));
      };
      blend("mean", mean);
      blend("covariance", covariance);
      this.stats.get("observed").assign(tf.ones([1]));
    });
    const refreshEvery = this.dim <= EVERY_STEP_DIM ? 1 : LARGE_REFRESH_STEPS;
    if (first || step % refreshEvery === 0) {
      this.stats.get("frozen").assign(this.stats.get("covariance"));
      this.invalidate();
    }
  }

  /** Drops the cached precision, after `observe` or after `stats` were restored from a file. */
  invalidate(): void {
    this.precision?.dispose();
    this.precision = undefined;
  }

  /**
   * Returns V for a batch, differentiable in `features` (the term the model minimises), or
   * zero before any batch was observed. Classes with fewer than two examples in the batch add
   * nothing.
   */
  modelTerm(features: tf.Tensor2D, labels: Int32Array): tf.Scalar {
    if (!this.observed) return tf.scalar(0);
    const precision = this.currentPrecision();
    const n = labels.length;
    const counts = new Float32Array(this.numClasses);
    for (const label of labels) counts[label] += 1;
    const weights = counts.map((count) => (count >= 2 ? count / n / (count * (count - 1)) : 0));
    const centred = tf.sub(features, tf.mean(features, 0));
    // Dividing by the batch's variance relative to the frozen covariance makes V scale-free.
    const scale = tf.div(tf.mean(tf.sum(tf.square(centred), 1)), this.precisionTrace);
    const weighted = tf.matMul(centred, precision);
    const selfTerms = tf.sum(tf.mul(weighted, centred), 1);
    const oneHot = tf.oneHot(tf.tensor1d(labels, "int32"), this.numClasses).toFloat() as tf.Tensor2D;
    const sums = tf.matMul(oneHot, centred, true, false);
    const sumTerms = tf.sum(tf.mul(tf.matMul(sums, precision), sums), 1);
    const selfSums = tf.reshape(tf.matMul(oneHot, tf.reshape(selfTerms, [-1, 1]), true, false), [-1]);
    const pairTerms = tf.sub(sumTerms, selfSums);
    const trace = tf.sum(tf.mul(tf.tensor1d(weights), pairTerms));
    return tf.div(trace, scale) as tf.Scalar;
  }

  /** Frees the cached precision and the moving averages. */
  dispose(): void {
    this.precision?.dispose();
    this.stats.dispose();
  }

  private currentPrecision(): tf.Tensor2D {
    if (this.precision !== undefined) return this.precision;
    const frozen = this.stats.get("frozen").dataSync();
    const dim = this.dim;
    const matrix = Float64Array.from(frozen);
    let trace = 0;
    for (let i = 0; i < dim; i++) trace += matrix[i * dim + i];
    // The ridge keeps the inverse finite when some feature never varies.
    const ridge = (this.settings.shrinkage * trace) / dim + 1e-6;
    for (let i = 0; i < dim; i++) matrix[i * dim + i] += ridge;
    this.precisionTrace = trace + ridge * dim;
    this.precision = tf.keep(tf.tensor2d(Float32Array.from(invertSpd(matrix, dim)), [dim, dim]));
    return this.precision;
  }
}
