import type { GraphOps } from "./graph-ops.js";

/**
 * Adds the critic's two kinds of pairs: joint rows [x, e(y)] and shuffled rows
 * [x, e(y_permuted)], where e is the fixed label embedding (a constant of the graph, stored
 * once however many updates use it).
 */
export function embedPairs(
  ops: GraphOps,
  embedding: { values: Float32Array; dim: number },
  names: { features: string; labels: string; shuffledLabels: string },
): { joint: string; shuffled: string } {
  const table = ops.embeddingTable(embedding.values, embedding.dim);
  const pair = (labels: string): string =>
    ops.concat([names.features, ops.graph.node("Gather", [table, labels], { axis: 0 })], 1);
  return { joint: pair(names.labels), shuffled: pair(names.shuffledLabels) };
}
