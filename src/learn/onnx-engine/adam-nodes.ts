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
 * Returns whether the graphs carry Adam's first moment. With beta1 = 0 the first moment is just the
 * latest gradient and never enters the next update (it is multiplied by 0), so the graphs
 * neither take nor return it: that saves one parameter-sized output per run, and copying
 * outputs out of ONNX Runtime costs about as much as the update's element-wise work.
 * Checkpoints then store zeros for it, which resume to the same updates.
 */
export function tracksFirstMoment(settings: AdamSettings): boolean {
  return settings.beta1 !== 0;
}

/** Returns the graph names of a slot that a graph with these settings takes and returns. */
export function slotValues(slot: AdamSlot, settings: AdamSettings): string[] {
  return tracksFirstMoment(settings) ? [slot.parameter, slot.first, slot.second] : [slot.parameter, slot.second];
}

/** Graph names of a parameter and its two Adam moments. */
export interface AdamSlot {
  parameter: string;
  first: string;
  second: string;
}

/**
 * Adds one Adam update of `slot.parameter` with gradient `gradient` and returns the names of
 * the new parameter and moments: `outputs` when given (graph outputs), fresh names otherwise.
 * The operations and their order follow tfjs-core's AdamOptimizer.applyGradients:
 *   m' = beta1 m + (1 - beta1) g,  v' = beta2 v + (1 - beta2) g²,
 *   p' = -lr (m' / c1) / (sqrt(v' / c2) + epsilon) + p,
 * with c1 = 1 - beta1^t and c2 = 1 - beta2^t fed in per step (`corrections`). With beta1 = 0
 * (the default) m' = g and c1 = 1 exactly, so those nodes are left out (each element-wise node
 * is one pass over the parameters) and m' is not an output (see tracksFirstMoment).
 */
export function adamNodes(
  ops: GraphOps,
  settings: AdamSettings,
  slot: AdamSlot,
  gradient: string,
  corrections: readonly [string, string] = CORRECTION_INPUTS,
  outputs?: AdamSlot,
): AdamSlot {
  const { beta1, beta2, epsilon, learningRate } = settings;
  const out = (name: string | undefined): string[] | undefined => (name === undefined ? undefined : [name]);
  let first: string;
  let corrected1: string;
  if (!tracksFirstMoment(settings)) {
    first = gradient;
    corrected1 = gradient;
  } else {
    const decayed = ops.mul(slot.first, ops.scalar(beta1));
    first = ops.graph.node("Add", [decayed, ops.mul(gradient, ops.scalar(1 - beta1))], {}, out(outputs?.first));
    corrected1 = ops.div(first, corrections[0]);
  }
  const second = ops.graph.node(
    "Add",
    [ops.mul(slot.second, ops.scalar(beta2)), ops.mul(ops.mul(gradient, gradient), ops.scalar(1 - beta2))],
    {},
    out(outputs?.second),
  );
  const corrected2 = ops.div(second, corrections[1]);
  const denominator = ops.add(ops.graph.node("Sqrt", [corrected2]), ops.scalar(epsilon));
  const step = ops.mul(ops.div(corrected1, denominator), ops.scalar(-learningRate));
  const parameter = ops.graph.node("Add", [step, slot.parameter], {}, out(outputs?.parameter));
  return { parameter, first, second };
}

/** Returns the `_next` output names of a slot. */
export function nextSlot(slot: AdamSlot): AdamSlot {
  return { parameter: `${slot.parameter}_next`, first: `${slot.first}_next`, second: `${slot.second}_next` };
}
