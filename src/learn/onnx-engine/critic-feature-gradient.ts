import type { CriticGraphShape } from "./critic-layout.js";
import { embedPairs } from "./critic-pairs.js";
import type { GraphOps } from "./graph-ops.js";

/** Shapes and names of one critic inside a graph that differentiates its distance estimate. */
export interface CriticTermSpec extends CriticGraphShape {
  /** Graph name of parameter i in critic.parameters order (weight, bias, weight, ...). */
  parameter: (i: number) => string;
}

/**
 * Adds the critic's distance estimate mean T(shuffled) - mean T(joint) on the pairs built from
 * `features`, and its gradient with respect to `features` `[n, featureDim]`. A forward pass of
 * the 2n pairs is followed by a backward pass down to the inputs. The feature columns receive
 * the sum of the joint and shuffled rows' gradients, because both pairs share the features.
 */
export function criticFeatureGradient(
  ops: GraphOps,
  spec: CriticTermSpec,
  names: { features: string; labels: string; shuffledLabels: string },
): { distance: string; featureGradient: string } {
  const { batch: n, widths, slope } = spec;
  const depth = widths.length;
  const weight = (layer: number): string => spec.parameter(2 * layer);
  const bias = (layer: number): string => spec.parameter(2 * layer + 1);

  // 1. Forward pass of the joint and shuffled pairs, keeping the pre-activations.
  const { joint, shuffled } = embedPairs(ops, { values: spec.embedding, dim: spec.embeddingDim }, names);
  let hidden = ops.concat([joint, shuffled], 0);
  const preActivations: string[] = [];
  for (let layer = 0; layer < depth - 1; layer++) {
    const z = ops.graph.node("Gemm", [hidden, weight(layer), bias(layer)]);
    preActivations.push(z);
    hidden = ops.graph.node("Max", [z, ops.mul(z, ops.scalar(slope))]);
  }
  const output = ops.graph.node("Gemm", [hidden, weight(depth - 1), bias(depth - 1)]);
  const [outJoint, outShuffled] = ops.split(output, [n, n]);
  const distance = ops.sub(
    ops.graph.node("ReduceMean", [outShuffled], { keepdims: 0 }),
    ops.graph.node("ReduceMean", [outJoint], { keepdims: 0 }),
  );

  // 2. Backward: d distance / d T is -1/n on joint rows and +1/n on shuffled rows.
  let delta = ops.graph.constant(
    Float32Array.from({ length: 2 * n }, (_, i) => (i < n ? -1 / n : 1 / n)),
    [2 * n, 1],
  );
  for (let layer = depth - 1; layer > 0; layer--) {
    const upstream = ops.matMul(delta, weight(layer), false, true);
    const positive = ops.graph.node("Greater", [preActivations[layer - 1], ops.scalar(0)]);
    delta = ops.mul(upstream, ops.graph.node("Where", [positive, ops.scalar(1), ops.scalar(slope)]));
  }
  const inputGradient = ops.matMul(delta, weight(0), false, true);
  const [jointGradient, shuffledGradient] = ops.split(inputGradient, [n, n]);
  const [featureGradient] = ops.split(ops.add(jointGradient, shuffledGradient), [spec.featureDim, spec.embeddingDim], 1);
  return { distance, featureGradient };
}
