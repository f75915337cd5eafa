import { GraphBuilder, type ValueSpec } from "../../onnx/graph.js";
import { criticShapes, slotNames } from "./critic-layout.js";
import { criticFeatureGradient, type CriticTermSpec } from "./critic-feature-gradient.js";
import { GraphOps } from "./graph-ops.js";

/**
 * Builds an ONNX graph for the model's view of one penalty term: the critic's distance
 * estimate on features and its gradient with respect to the features. Inputs: `features`
 * [n, featureDim], `labels` and `shuffledLabels` [n] int32, and the critic parameters `p${i}`.
 * Outputs: `distance` [] and `featureGradient` [n, featureDim].
 */
export function buildDistanceGradientGraph(spec: Omit<CriticTermSpec, "parameter">): Uint8Array {
  const { batch: n, featureDim } = spec;
  const inputs: ValueSpec[] = [
    { name: "features", type: "float", shape: [n, featureDim] },
    { name: "labels", type: "int32", shape: [n] },
    { name: "shuffledLabels", type: "int32", shape: [n] },
    ...criticShapes(featureDim + spec.embeddingDim, spec.widths).map(
      (shape, i): ValueSpec => ({ name: slotNames(i).parameter, type: "float", shape }),
    ),
  ];
  const outputs: ValueSpec[] = [
    { name: "distance", type: "float", shape: [] },
    { name: "featureGradient", type: "float", shape: [n, featureDim] },
  ];
  const ops = new GraphOps(new GraphBuilder(inputs, outputs));
  const parameter = (i: number): string => slotNames(i).parameter;
  const result = criticFeatureGradient(ops, { ...spec, parameter }, {
    features: "features",
    labels: "labels",
    shuffledLabels: "shuffledLabels",
  });
  ops.output(result.distance, "distance");
  ops.output(result.featureGradient, "featureGradient");
  return ops.graph.build("distanceGradient").model;
}
