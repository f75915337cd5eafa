import { tf } from "./backend.js";
import type { MlpCritic } from "./critic.js";

/** Scalars of one Wasserstein critic evaluation. */
export interface WassersteinTerms {
  /** Loss the critic minimises: mean T(joint) - mean T(shuffled) + weight * penalty. */
  loss: tf.Scalar;
  /** Distance estimate mean T(shuffled) - mean T(joint), which the model minimises. */
  distance: tf.Scalar;
  /** Gradient penalty mean (||dT/dx(x̂)||₂ - 1)² before weighting. */
  gradientPenalty: tf.Scalar;
}

/**
 * Evaluates the critic loss of WGAN-GP (Gulrajani et al. 2017) on pairs (features, label
 * embedding): `joint` keeps each example's own label, `shuffled` permutes the labels within the
 * batch, so it samples the product of the marginals. The penalty is taken at x̂ = ε joint +
 * (1 - ε) shuffled with one ε ~ U(0, 1) per example (`epsilon` is `[n, 1]`).
 */
export function wassersteinCriticTerms(
  critic: MlpCritic,
  joint: tf.Tensor2D,
  shuffled: tf.Tensor2D,
  epsilon: tf.Tensor2D,
  penaltyWeight: number,
): WassersteinTerms {
  const distance = wassersteinDistance(critic, joint, shuffled);
  const interpolated = tf.add(tf.mul(epsilon, joint), tf.mul(tf.sub(1, epsilon), shuffled));
  const { inputGradient } = critic.withInputGradient(interpolated as tf.Tensor2D);
  // The 1e-12 keeps the square root differentiable where the gradient vanishes.
  const norms = tf.sqrt(tf.add(tf.sum(tf.square(inputGradient), 1), 1e-12));
  const gradientPenalty = tf.mean(tf.square(tf.sub(norms, 1))) as tf.Scalar;
  const loss = tf.add(tf.neg(distance), tf.mul(penaltyWeight, gradientPenalty)) as tf.Scalar;
  return { loss, distance, gradientPenalty };
}

/** Returns mean T(shuffled) - mean T(joint), the critic's estimate of the Wasserstein-1 distance. */
export function wassersteinDistance(
  critic: MlpCritic,
  joint: tf.Tensor2D,
  shuffled: tf.Tensor2D,
): tf.Scalar {
  return tf.sub(tf.mean(critic.apply(shuffled)), tf.mean(critic.apply(joint))) as tf.Scalar;
}
