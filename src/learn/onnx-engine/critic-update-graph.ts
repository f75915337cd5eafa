import { GraphBuilder, type ValueSpec } from "../../onnx/graph.js";
import { adamNodes, gradientScaleFor, nextSlot, slotValues, type AdamSettings, type AdamSlot } from "./adam-nodes.js";
import { criticShapes, slotNames, type CriticGraphShape } from "./critic-layout.js";
import { embedPairs } from "./critic-pairs.js";
import { GraphOps } from "./graph-ops.js";

/** Everything that fixes the shapes and constants of one critic-update graph. */
export interface CriticUpdateSpec extends CriticGraphShape {
  /** Weight of the gradient penalty. */
  penaltyWeight: number;
  adam: AdamSettings;
}

/** Graph input names of critic update `k` of an unrolled graph. */
export function stepInputs(k: number): {
  features: string;
  labels: string;
  shuffledLabels: string;
  epsilon: string;
  corrections: [string, string];
} {
  return {
    features: `features_${k}`,
    labels: `labels_${k}`,
    shuffledLabels: `shuffledLabels_${k}`,
    epsilon: `epsilon_${k}`,
    corrections: [`correction1_${k}`, `correction2_${k}`],
  };
}

/**
 * Builds an ONNX graph for `steps` consecutive Wasserstein critic updates, the ONNX Runtime
 * twin of that many calls of PenaltyTerm.criticStep with the wasserstein penalty. One run does
 * them all, so the intermediate parameters and moments never leave ONNX Runtime.
 *
 * Inputs, for each update k: `features_k` [n, featureDim], `labels_k` and `shuffledLabels_k`
 * [n] int32 (the labels and their permutation), `epsilon_k` [n, 1] and the Adam corrections
 * `correction1_k`, `correction2_k`; and once, for every parameter i: `p${i}`, `m${i}` (only
 * with beta1 > 0, see tracksFirstMoment) and `v${i}`. Outputs: `distance_k` (the estimate
 * before update k) and the state after the last update, `p${i}_next`, `m${i}_next`, `v${i}_next`.
 *
 * The loss is mean T(joint) - mean T(shuffled) + weight * mean (||dT/dx(x̂)|| - 1)². Its
 * gradient is built by hand in two parts:
 * 1. distance term: an ordinary backward pass through the forward layers of the pairs;
 * 2. penalty term: dT/dx is the chain G_(l) = (G_(l+1) ⊙ d_l) W_lᵀ, where d_l is the
 *    piecewise constant LeakyReLU derivative at x̂. Its gradient with respect to the weights
 *    is a reverse pass through that chain (biases get none, since d_l does not vary).
 * Both parts of a weight's gradient come from one product of stacked rows.
 */
export function buildCriticUpdateGraph(spec: CriticUpdateSpec, steps = 1): Uint8Array {
  const { batch: n, featureDim, embeddingDim, widths } = spec;
  const shapes = criticShapes(featureDim + embeddingDim, widths);

  // 1. Inputs and outputs: each update's batch, then every parameter and its moments.
  const inputs: ValueSpec[] = [];
  const outputs: ValueSpec[] = [];
  for (let k = 0; k < steps; k++) {
    const names = stepInputs(k);
    inputs.push(
      { name: names.features, type: "float", shape: [n, featureDim] },
      { name: names.labels, type: "int32", shape: [n] },
      { name: names.shuffledLabels, type: "int32", shape: [n] },
      { name: names.epsilon, type: "float", shape: [n, 1] },
      ...names.corrections.map((name): ValueSpec => ({ name, type: "float", shape: [] })),
    );
    outputs.push({ name: `distance_${k}`, type: "float", shape: [] });
  }
  shapes.forEach((shape, i) => {
    for (const name of slotValues(slotNames(i), spec.adam)) {
      inputs.push({ name, type: "float", shape });
      outputs.push({ name: `${name}_next`, type: "float", shape });
    }
  });

  // 2. The updates, each reading the parameters the one before it wrote.
  const ops = new GraphOps(new GraphBuilder(inputs, outputs));
  let slots: AdamSlot[] = shapes.map((_, i) => slotNames(i));
  // Gradients come out multiplied by this scale, which saves Adam one pass (see adamNodes).
  const scale = gradientScaleFor(spec.adam);
  for (let k = 0; k < steps; k++) {
    const names = stepInputs(k);
    const parameters = slots.map((slot) => slot.parameter);
    const gradients = criticLossGradients(ops, spec, names, parameters, `distance_${k}`, scale);
    const last = k === steps - 1;
    slots = slots.map((slot, i) =>
      adamNodes(ops, spec.adam, slot, gradients[i], names.corrections, last ? nextSlot(slotNames(i)) : undefined, scale),
    );
  }

  return ops.graph.build("criticUpdate").model;
}

/**
 * Adds the loss's forward and backward passes; returns the gradient of every parameter times
 * `gradientScale`. The scale enters through the two seeds of the backward passes (the output
 * gradient and the penalty's factor), so it costs no pass over the parameters.
 */
function criticLossGradients(
  ops: GraphOps,
  spec: CriticUpdateSpec,
  names: { features: string; labels: string; shuffledLabels: string; epsilon: string },
  parameters: string[],
  distanceOutput: string,
  gradientScale: number,
): string[] {
  const { batch: n, widths, slope } = spec;
  const depth = widths.length;
  const weight = (layer: number): string => parameters[2 * layer];
  const bias = (layer: number): string => parameters[2 * layer + 1];

  // 1. Pairs: joint rows keep their labels, shuffled rows take the permuted ones; x̂ mixes them.
  const { joint, shuffled } = embedPairs(ops, { values: spec.embedding, dim: spec.embeddingDim }, names);
  const mixed = ops.add(
    ops.mul(names.epsilon, joint),
    ops.mul(ops.sub(ops.scalar(1), names.epsilon), shuffled),
  );
  const pairs = ops.concat([joint, shuffled], 0);

  // 2. Forward: hidden layers on the 3n rows (pairs and x̂), the output layer on the pairs only.
  const pairPre: string[] = [];
  const mixedPre: string[] = [];
  const pairHidden: string[] = [pairs];
  let hidden = ops.concat([pairs, mixed], 0);
  for (let layer = 0; layer < depth - 1; layer++) {
    const z = ops.graph.node("Gemm", [hidden, weight(layer), bias(layer)]);
    const [zPair, zMixed] = ops.split(z, [2 * n, n]);
    pairPre.push(zPair);
    mixedPre.push(zMixed);
    // LeakyReLU as max(z, s z), exact for 0 <= s <= 1.
    hidden = ops.graph.node("Max", [z, ops.mul(z, ops.scalar(slope))]);
    pairHidden.push(ops.split(hidden, [2 * n, n])[0]);
  }
  const output = ops.graph.node("Gemm", [pairHidden[depth - 1], weight(depth - 1), bias(depth - 1)]);
  const [outJoint, outShuffled] = ops.split(output, [n, n]);
  const distance = ops.sub(
    ops.graph.node("ReduceMean", [outShuffled], { keepdims: 0 }),
    ops.graph.node("ReduceMean", [outJoint], { keepdims: 0 }),
  );
  ops.output(distance, distanceOutput);

  // 3. Distance term backward: d loss / d T is +1/n on joint rows and -1/n on shuffled rows,
  // times the gradient scale.
  const outputGradient = ops.graph.constant(
    Float32Array.from({ length: 2 * n }, (_, i) => (i < n ? gradientScale / n : -gradientScale / n)),
    [2 * n, 1],
  );
  const deltas: string[] = new Array(depth);
  deltas[depth - 1] = outputGradient;
  for (let layer = depth - 1; layer > 0; layer--) {
    const upstream = ops.matMul(deltas[layer], weight(layer), false, true);
    const positive = ops.graph.node("Greater", [pairPre[layer - 1], ops.scalar(0)]);
    const derivative = ops.graph.node("Where", [positive, ops.scalar(1), ops.scalar(slope)]);
    deltas[layer - 1] = ops.mul(upstream, derivative);
  }

  // 4. Penalty forward: the dT/dx chain at x̂, then the norms and the penalty's gradient in G.
  const derivatives = mixedPre.map((z) =>
    ops.add(ops.scalar((1 + slope) / 2), ops.mul(ops.scalar((1 - slope) / 2), ops.graph.node("Sign", [z]))),
  );
  const lastIn = depth > 1 ? widths[depth - 2] : spec.featureDim + spec.embeddingDim;
  let chain = ops.graph.node("Expand", [
    ops.reshape(weight(depth - 1), [1, lastIn]),
    ops.graph.constantInt64([n, lastIn]),
  ]);
  const chainInputs: string[] = new Array(depth - 1);
  for (let layer = depth - 2; layer >= 0; layer--) {
    chainInputs[layer] = ops.mul(chain, derivatives[layer]);
    chain = ops.matMul(chainInputs[layer], weight(layer), false, true);
  }
  // The 1e-12 matches wasserstein.ts, which keeps the square root differentiable.
  const norms = ops.graph.node("Sqrt", [ops.add(ops.sum(ops.mul(chain, chain), 1), ops.scalar(1e-12))]);
  const scale = ops.mul(ops.div(ops.sub(norms, ops.scalar(1)), norms), ops.scalar((2 * spec.penaltyWeight * gradientScale) / n));
  let chainGradient = ops.mul(chain, scale);

  // 5. Penalty backward through the chain, and each weight's two gradient parts in one product.
  const gradients: string[] = [];
  for (let layer = 0; layer < depth - 1; layer++) {
    const left = ops.concat([pairHidden[layer], chainGradient], 0);
    const right = ops.concat([deltas[layer], chainInputs[layer]], 0);
    gradients.push(ops.matMul(left, right, true, false), biasGradient(ops, deltas[layer], n));
    chainGradient = ops.mul(ops.matMul(chainGradient, weight(layer)), derivatives[layer]);
  }
  const lastDistance = ops.matMul(pairHidden[depth - 1], deltas[depth - 1], true, false);
  const lastPenalty = ops.reshape(ops.sumDrop(chainGradient, 0), [lastIn, 1]);
  gradients.push(ops.add(lastDistance, lastPenalty), biasGradient(ops, deltas[depth - 1], n));
  return gradients;
}

/**
 * Sums the joint rows and the shuffled rows of `delta` separately, then adds the two, as
 * TensorFlow.js does with its two forward calls. For a unit with the same derivative on every
 * row the halves cancel exactly; one sum over all rows would leave rounding noise, which Adam's
 * g / (|g| + epsilon) step turns into an update of up to a tenth of the learning rate.
 */
function biasGradient(ops: GraphOps, delta: string, n: number): string {
  return ops.sumDrop(ops.sumDrop(ops.reshape(delta, [2, n, -1]), 1), 0);
}
