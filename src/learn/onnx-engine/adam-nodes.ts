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
 * Adds one Adam update of `slot.parameter` and returns the names of the new parameter and
 * moments: `outputs` when given (graph outputs), fresh names otherwise. It computes what
 * tfjs-core's AdamOptimizer.applyGradients does,
 *   m' = beta1 m + (1 - beta1) g,  v' = beta2 v + (1 - beta2) g²,
 *   p' = -lr (m' / c1) / (sqrt(v' / c2) + epsilon) + p,
 * with c1 = 1 - beta1^t and c2 = 1 - beta2^t fed in per step (`corrections`), but in fewer
 * passes over the parameters (each element-wise node is one pass; they cost about as much as
 * the products). The update is rewritten as
 *   p' = p + (m' / (sqrt(v') + epsilon sqrt(c2))) · (-lr sqrt(c2) / c1),
 * so the corrections and the learning rate meet only in scalar nodes. The result differs from
 * TensorFlow.js's only by rounding. With beta1 = 0 (the default) m' = g and c1 = 1 exactly, so
 * those nodes are left out and m' is not an output (see tracksFirstMoment).
 *
 * `gradientScale` means that `gradient` is already s·g for the true gradient g. With s =
 * gradientScaleFor(settings) = sqrt(1 - beta2), (1 - beta2) g² is the plain square of the input,
 * one pass fewer; a graph gets that s for free by scaling a small operand of the product that
 * makes the gradient.
 */
export function adamNodes(
  ops: GraphOps,
  settings: AdamSettings,
  slot: AdamSlot,
  gradient: string,
  corrections: readonly [string, string] = CORRECTION_INPUTS,
  outputs?: AdamSlot,
  gradientScale = 1,
): AdamSlot {
  const { beta1, beta2, epsilon, learningRate } = settings;
  const out = (name: string | undefined): string[] | undefined => (name === undefined ? undefined : [name]);
  // 1. Moments. `numerator` is m' times `gradientScale` when beta1 = 0, m' itself otherwise.
  let first: string;
  let numerator: string;
  let numeratorScale: number;
  if (!tracksFirstMoment(settings)) {
    first = gradient;
    numerator = gradient;
    numeratorScale = gradientScale;
  } else {
    const decayed = ops.mul(slot.first, ops.scalar(beta1));
    const fresh = ops.mul(gradient, ops.scalar((1 - beta1) / gradientScale));
    first = ops.graph.node("Add", [decayed, fresh], {}, out(outputs?.first));
    numerator = first;
    numeratorScale = 1;
  }
  const square = ops.mul(gradient, gradient);
  const squareTerm =
    gradientScale === gradientScaleFor(settings) ? square : ops.mul(square, ops.scalar((1 - beta2) / gradientScale ** 2));
  const second = ops.graph.node("Add", [ops.mul(slot.second, ops.scalar(beta2)), squareTerm], {}, out(outputs?.second));

  // 2. Scalars: sqrt(c2), epsilon sqrt(c2) and the step's multiplier -lr sqrt(c2) / (c1 s).
  const root = ops.graph.node("Sqrt", [corrections[1]]);
  const shift = ops.mul(root, ops.scalar(epsilon));
  let rate = ops.mul(root, ops.scalar(-learningRate / numeratorScale));
  if (tracksFirstMoment(settings)) rate = ops.div(rate, corrections[0]);

  // 3. Parameter: four passes.
  const denominator = ops.add(ops.graph.node("Sqrt", [second]), shift);
  const step = ops.mul(ops.div(numerator, denominator), rate);
  const parameter = ops.graph.node("Add", [step, slot.parameter], {}, out(outputs?.parameter));
  return { parameter, first, second };
}

/** Returns the gradient scale s = sqrt(1 - beta2) that saves adamNodes one pass (see there). */
export function gradientScaleFor(settings: AdamSettings): number {
  return Math.sqrt(1 - settings.beta2);
}

/** Returns the `_next` output names of a slot. */
export function nextSlot(slot: AdamSlot): AdamSlot {
  return { parameter: `${slot.parameter}_next`, first: `${slot.first}_next`, second: `${slot.second}_next` };
}
