import type { GraphOps } from "./graph-ops.js";

/** Adam hyper-parameters, as tf.train.adam takes them. */
export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  /** TensorFlow.js uses its backend's epsilon, 1e-7 for float32. */
  epsilon: number;
}

/** TensorFlow.js's default Adam epsilon on a float32 backend (backend.epsilon()). */
export const TFJS_ADAM_EPSILON = 1e-7;

/** Names of the bias-correction inputs: 1 - beta1^t and 1 - beta2^t of the current step t. */
export const CORRECTION_INPUTS = ["correction1", "correction2"] as const;

/**
 * Adds one Adam update of `parameter` with gradient `gradient` and writes the new parameter and
 * moments to the outputs `${name}_next`. The operations and their order follow tfjs-core's
 * AdamOptimizer.applyGradients:
 *   m' = beta1 m + (1 - beta1) g,  v' = beta2 v + (1 - beta2) g²,
 *   p' = -lr (m' / c1) / (sqrt(v' / c2) + epsilon) + p,
 * with c1 = 1 - beta1^t and c2 = 1 - beta2^t fed in per step (CORRECTION_INPUTS). With
 * beta1 = 0 (the default) m' = g and c1 = 1 exactly, so those nodes are left out: each
 * element-wise node is one pass over the parameters, the largest cost after the products.
 */
export function adamNodes(
  ops: GraphOps,
  settings: AdamSettings,
  names: { parameter: string; first: string; second: string },
  gradient: string,
): void {
  const { beta1, beta2, epsilon, learningRate } = settings;
  const [correction1, correction2] = CORRECTION_INPUTS;
  const firstOut = `${names.first}_next`;
  let corrected1: string;
  if (beta1 === 0) {
    ops.output(gradient, firstOut);
    corrected1 = gradient;
  } else {
    const decayed = ops.mul(names.first, ops.scalar(beta1));
    const first = ops.graph.node("Add", [decayed, ops.mul(gradient, ops.scalar(1 - beta1))], {}, [firstOut]);
    corrected1 = ops.div(first, correction1);
  }
  const second = ops.graph.node(
    "Add",
    [ops.mul(names.second, ops.scalar(beta2)), ops.mul(ops.mul(gradient, gradient), ops.scalar(1 - beta2))],
    {},
    [`${names.second}_next`],
  );
  const corrected2 = ops.div(second, correction2);
  const denominator = ops.add(ops.graph.node("Sqrt", [corrected2]), ops.scalar(epsilon));
  const step = ops.mul(ops.div(corrected1, denominator), ops.scalar(-learningRate));
  ops.graph.node("Add", [step, names.parameter], {}, [`${names.parameter}_next`]);
}
