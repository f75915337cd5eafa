import { GraphBuilder, type ValueSpec } from "../../onnx/graph.js";
import { adamNodes, CORRECTION_INPUTS, nextSlot, slotValues, type AdamSettings } from "./adam-nodes.js";
import { criticShapes, slotNames } from "./critic-layout.js";
import { criticFeatureGradient, type CriticTermSpec } from "./critic-feature-gradient.js";
import { GraphOps } from "./graph-ops.js";

/** Graph-name prefixes of the network's and the two critics' parameters. */
export const NETWORK_PREFIX = "net_";
export const FG_CRITIC_PREFIX = "fgc_";
export const BG_CRITIC_PREFIX = "bgc_";

/** A critic as the model step uses it: fixed parameters, shapes and label embedding. */
export type ModelCriticSpec = Omit<CriticTermSpec, "batch" | "parameter">;

/** Everything that fixes the shapes and constants of one model-step graph. */
export interface ModelStepSpec {
  batch: number;
  inputDim: number;
  fgDim: number;
  bgDim: number;
  numFg: number;
  numBg: number;
  /** Weight of the two cross-entropies. */
  alpha: number;
  /** Weight of the two distance estimates. */
  penaltyWeight: number;
  adam: AdamSettings;
  /** The critics of I(fg; bg labels) and I(bg; fg labels); without them the step has no penalty. */
  critics?: { fg: ModelCriticSpec; bg: ModelCriticSpec };
}

/** Shapes of the projection network's parameters in network.parameters.list() order. */
export function projectionShapes(spec: ModelStepSpec): number[][] {
  const featureDim = spec.fgDim + spec.bgDim;
  return [
    [spec.inputDim, featureDim],
    [featureDim],
    [spec.fgDim, spec.numFg],
    [spec.numFg],
    [spec.bgDim, spec.numBg],
    [spec.numBg],
  ];
}

/**
 * Builds an ONNX graph for one model step of the projection backbone, the ONNX Runtime twin of
 * Trainer.modelStep: features = x W + b split into fg and bg, both heads, the loss
 * alpha (CE_fg + CE_bg) + penaltyWeight (D_fg + D_bg) with D the critics' distance estimates,
 * its gradient by hand, and Adam on the six network parameters.
 *
 * Inputs: `x` [n, inputDim], `fgLabels`, `bgLabels` [n] int32, the Adam corrections, and
 * `net_p${i}`, `net_m${i}` (only with beta1 > 0), `net_v${i}`; with critics also `fgShuffled` (the background labels
 * permuted for the fg term), `bgShuffled` (the foreground labels permuted) and the critic
 * parameters `fgc_p${i}`, `bgc_p${i}`. Outputs: `fgLoss`, `bgLoss`, `fgPredicted` and
 * `bgPredicted` (arg-max classes, int64) before the update, and the `_next` parameters and moments.
 */
export function buildModelStepGraph(spec: ModelStepSpec): Uint8Array {
  const { batch: n } = spec;
  const shapes = projectionShapes(spec);
  const label = (name: string): ValueSpec => ({ name, type: "int32", shape: [n] });
  const inputs: ValueSpec[] = [
    { name: "x", type: "float", shape: [n, spec.inputDim] },
    label("fgLabels"),
    label("bgLabels"),
    ...CORRECTION_INPUTS.map((name): ValueSpec => ({ name, type: "float", shape: [] })),
  ];
  const outputs: ValueSpec[] = [
    { name: "fgLoss", type: "float", shape: [] },
    { name: "bgLoss", type: "float", shape: [] },
    { name: "fgPredicted", type: "int64", shape: [n] },
    { name: "bgPredicted", type: "int64", shape: [n] },
  ];
  shapes.forEach((shape, i) => {
    for (const name of slotValues(slotNames(i), spec.adam)) {
      inputs.push({ name: NETWORK_PREFIX + name, type: "float", shape });
      outputs.push({ name: `${NETWORK_PREFIX}${name}_next`, type: "float", shape });
    }
  });
  if (spec.critics) {
    inputs.push(label("fgShuffled"), label("bgShuffled"));
    const critics: Array<[string, ModelCriticSpec]> = [
      [FG_CRITIC_PREFIX, spec.critics.fg],
      [BG_CRITIC_PREFIX, spec.critics.bg],
    ];
    for (const [prefix, critic] of critics) {
      criticShapes(critic.featureDim + critic.embeddingDim, critic.widths).forEach((shape, i) => {
        inputs.push({ name: prefix + slotNames(i).parameter, type: "float", shape });
      });
    }
  }
  const ops = new GraphOps(new GraphBuilder(inputs, outputs));
  const gradients = modelGradients(ops, spec);
  gradients.forEach((gradient, i) => {
    const names = slotNames(i);
    const prefixed = {
      parameter: NETWORK_PREFIX + names.parameter,
      first: NETWORK_PREFIX + names.first,
      second: NETWORK_PREFIX + names.second,
    };
    adamNodes(ops, spec.adam, prefixed, gradient, CORRECTION_INPUTS, nextSlot(prefixed));
  });
  return ops.graph.build("modelStep").model;
}

/** Adds the model loss's forward and backward passes; returns the six parameter gradients. */
function modelGradients(ops: GraphOps, spec: ModelStepSpec): string[] {
  const n = spec.batch;
  const parameter = (i: number): string => NETWORK_PREFIX + slotNames(i).parameter;

  // 1. Forward: features, their two parts, the heads.
  const features = ops.graph.node("Gemm", ["x", parameter(0), parameter(1)]);
  const [fg, bg] = ops.split(features, [spec.fgDim, spec.bgDim], 1);
  const fgLogits = ops.graph.node("Gemm", [fg, parameter(2), parameter(3)]);
  const bgLogits = ops.graph.node("Gemm", [bg, parameter(4), parameter(5)]);

  // 2. Cross-entropies (mean over the batch, as tf.losses.softmaxCrossEntropy) and their
  //    gradients in the logits: alpha (softmax - onehot) / n.
  const head = (logits: string, labels: string, classes: number, name: string): string => {
    // ONNX Runtime's CPU OneHot takes int32 indices only with a float depth.
    const oneHot = ops.graph.node("OneHot", [labels, ops.graph.constant([classes], []), ops.graph.constant([0, 1], [2])]);
    const logProbabilities = ops.graph.node("LogSoftmax", [logits], { axis: 1 });
    const picked = ops.sumDrop(ops.mul(oneHot, logProbabilities), 1);
    ops.graph.node("Neg", [ops.graph.node("ReduceMean", [picked], { keepdims: 0 })], {}, [name]);
    ops.graph.node("ArgMax", [logits], { axis: 1, keepdims: 0 }, [name.replace("Loss", "Predicted")]);
    const probabilities = ops.graph.node("Softmax", [logits], { axis: 1 });
    return ops.mul(ops.sub(probabilities, oneHot), ops.scalar(spec.alpha / n));
  };
  const fgLogitGradient = head(fgLogits, "fgLabels", spec.numFg, "fgLoss");
  const bgLogitGradient = head(bgLogits, "bgLabels", spec.numBg, "bgLoss");

  // 3. Back through the heads to the feature parts, plus the penalty's feature gradients.
  let fgGradient = ops.matMul(fgLogitGradient, parameter(2), false, true);
  let bgGradient = ops.matMul(bgLogitGradient, parameter(4), false, true);
  if (spec.critics) {
    const term = (critic: ModelCriticSpec, prefix: string, part: string, labels: string, shuffled: string) =>
      criticFeatureGradient(
        ops,
        { ...critic, batch: n, parameter: (i) => prefix + slotNames(i).parameter },
        { features: part, labels, shuffledLabels: shuffled },
      ).featureGradient;
    const weight = ops.scalar(spec.penaltyWeight);
    const fgPenalty = term(spec.critics.fg, FG_CRITIC_PREFIX, fg, "bgLabels", "fgShuffled");
    const bgPenalty = term(spec.critics.bg, BG_CRITIC_PREFIX, bg, "fgLabels", "bgShuffled");
    fgGradient = ops.add(fgGradient, ops.mul(fgPenalty, weight));
    bgGradient = ops.add(bgGradient, ops.mul(bgPenalty, weight));
  }

  // 4. Back through the projection.
  const featureGradient = ops.concat([fgGradient, bgGradient], 1);
  return [
    ops.matMul("x", featureGradient, true, false),
    ops.sumDrop(featureGradient, 0),
    ops.matMul(fg, fgLogitGradient, true, false),
    ops.sumDrop(fgLogitGradient, 0),
    ops.matMul(bg, bgLogitGradient, true, false),
    ops.sumDrop(bgLogitGradient, 0),
  ];
}

/**
 * Builds the graph that maps inputs `x` [n, inputDim] to the feature parts `fg` and `bg` with
 * the parameters `net_p0` and `net_p1`, for the critics' batches.
 */
export function buildProjectionGraph(spec: Omit<ModelStepSpec, "critics">): Uint8Array {
  const shapes = projectionShapes(spec);
  const inputs: ValueSpec[] = [
    { name: "x", type: "float", shape: ["n", spec.inputDim] },
    { name: `${NETWORK_PREFIX}p0`, type: "float", shape: shapes[0] },
    { name: `${NETWORK_PREFIX}p1`, type: "float", shape: shapes[1] },
  ];
  const outputs: ValueSpec[] = [
    { name: "fg", type: "float", shape: ["n", spec.fgDim] },
    { name: "bg", type: "float", shape: ["n", spec.bgDim] },
  ];
  const ops = new GraphOps(new GraphBuilder(inputs, outputs));
  const features = ops.graph.node("Gemm", ["x", `${NETWORK_PREFIX}p0`, `${NETWORK_PREFIX}p1`]);
  ops.graph.node("Split", [features, ops.graph.constantInt64([spec.fgDim, spec.bgDim])], { axis: 1 }, ["fg", "bg"]);
  return ops.graph.build("projection").model;
}
