import { writeFile } from "node:fs/promises";
import { GraphBuilder } from "../../src/onnx/graph.js";

// A tiny classifier: global average pool of the normalised image (3 values per image), flattened,
// then a 3 -> 4 linear layer. The default feature tensor is the flattened pool, whose value for a
// solid colour is ((colour / 255 - mean) / std) per channel.
export async function writeTinyClassifier(path: string): Promise<void> {
  const graph = new GraphBuilder(
    [{ name: "pixels", type: "float", shape: ["batch", 3, 8, 8] }],
    [{ name: "logits", type: "float", shape: ["batch", 4] }],
  );
  const pooled = graph.node("GlobalAveragePool", ["pixels"]);
  const flat = graph.node("Flatten", [pooled], { axis: 1 }, ["pooled_features"]);
  const weights = graph.constant([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1], [3, 4]);
  const product = graph.node("MatMul", [flat, weights]);
  graph.node("Add", [product, graph.constant([0, 0, 0, 0.5], [4])], {}, ["logits"]);
  await writeFile(path, graph.build().model);
}

