import onnxProto from "onnx-proto";
import { UserError } from "../core/errors.js";

const { onnx } = onnxProto;

// Nodes that may sit between the classifier's matrix product and the graph output.
const PASS_THROUGH = new Set(["Add", "Identity", "Softmax", "LogSoftmax", "Sigmoid", "Reshape", "Squeeze"]);
const CLASSIFIER = new Set(["Gemm", "MatMul"]);

/**
 * Returns a model whose graph outputs include the tensor `name`. When `name` is undefined, the
 * default is the data input of the classifier layer, the Gemm or MatMul that produces the first
 * output. For ResNets that is the pooled penultimate feature.
 */
export function exposeFeatureOutput(
  modelBytes: Uint8Array,
  modelPath: string,
  name?: string,
): { model: Uint8Array; outputName: string; changed: boolean } {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph;
  if (!graph) throw new UserError(`Invalid ONNX model ${modelPath}: it has no graph.`);
  const outputName = name ?? findClassifierInput(graph, modelPath);
  const outputs = graph.output ?? [];
  if (outputs.some((output) => output.name === outputName)) {
    return { model: modelBytes, outputName, changed: false };
  }
  const produced = (graph.node ?? []).some((node) => (node.output ?? []).includes(outputName));
  if (!produced) {
    throw new UserError(
      `No tensor named "${outputName}" in ${modelPath}. ` +
        `Pass --feature-output with a node output name (graph outputs: ${outputs.map((o) => o.name).join(", ")}).`,
    );
  }
  // An output needs only a name and an element type; ONNX Runtime infers the shape.
  graph.output = [
    ...outputs,
    { name: outputName, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } },
  ];
  return { model: onnx.ModelProto.encode(model).finish(), outputName, changed: true };
}

function findClassifierInput(graph: onnxProto.onnx.IGraphProto, modelPath: string): string {
  const producers = new Map<string, onnxProto.onnx.INodeProto>();
  for (const node of graph.node ?? []) for (const output of node.output ?? []) producers.set(output, node);
  const constants = new Set((graph.initializer ?? []).map((tensor) => tensor.name ?? ""));
  let tensor = graph.output?.[0]?.name ?? "";
  for (let depth = 0; depth < 16; depth++) {
    const node = producers.get(tensor);
    if (node === undefined) break;
    const inputs = (node.input ?? []).filter((input) => !constants.has(input));
    if (CLASSIFIER.has(node.opType ?? "")) return (node.input ?? [])[0];
    if (!PASS_THROUGH.has(node.opType ?? "") || inputs.length === 0) break;
    tensor = inputs[0];
  }
  throw new UserError(
    `Could not find the classifier layer (Gemm or MatMul) before the first output of ${modelPath}. ` +
      `Pass --feature-output with the name of the feature tensor.`,
  );
}
