import type { GraphBuilder } from "../../onnx/graph.js";

/**
 * Small node helpers over GraphBuilder for the training graphs. Each returns the name of the
 * node's output. Products use Gemm, which multiplies transposed operands without copying them.
 */
export class GraphOps {
  private readonly scalars = new Map<number, string>();
  private readonly tables = new Map<Float32Array, string>();

  constructor(readonly graph: GraphBuilder) {}

  /** Returns a float32 scalar constant, shared between uses of the same value. */
  scalar(value: number): string {
    const known = this.scalars.get(value);
    if (known !== undefined) return known;
    const name = this.graph.constant([value], []);
    this.scalars.set(value, name);
    return name;
  }

  /** Returns a `[rows, dim]` float32 constant, shared between uses of the same array. */
  embeddingTable(values: Float32Array, dim: number): string {
    const known = this.tables.get(values);
    if (known !== undefined) return known;
    const name = this.graph.constant(values, [values.length / dim, dim]);
    this.tables.set(values, name);
    return name;
  }

  /** a · b, with either operand transposed first. */
  matMul(a: string, b: string, transA = false, transB = false): string {
    return this.graph.node("Gemm", [a, b], { transA: transA ? 1 : 0, transB: transB ? 1 : 0 });
  }

  add(a: string, b: string): string {
    return this.graph.node("Add", [a, b]);
  }

  sub(a: string, b: string): string {
    return this.graph.node("Sub", [a, b]);
  }

  mul(a: string, b: string): string {
    return this.graph.node("Mul", [a, b]);
  }

  div(a: string, b: string): string {
    return this.graph.node("Div", [a, b]);
  }

  /** Sum over `axis`, keeping that axis as size 1. */
  sum(x: string, axis: number): string {
    return this.graph.node("ReduceSum", [x, this.graph.constantInt64([axis])], { keepdims: 1 });
  }

  /** Sum over `axis`, dropping that axis. */
  sumDrop(x: string, axis: number): string {
    return this.graph.node("ReduceSum", [x, this.graph.constantInt64([axis])], { keepdims: 0 });
  }

  reshape(x: string, shape: number[]): string {
    return this.graph.node("Reshape", [x, this.graph.constantInt64(shape)]);
  }

  /** Splits `x` along `axis` into parts of the given sizes. */
  split(x: string, sizes: number[], axis = 0): string[] {
    const outputs = sizes.map(() => this.graph.fresh("part"));
    this.graph.node("Split", [x, this.graph.constantInt64(sizes)], { axis }, outputs);
    return outputs;
  }

  concat(parts: string[], axis: number): string {
    return this.graph.node("Concat", parts, { axis });
  }

  /** Copies `x` to a named graph output. */
  output(x: string, name: string): void {
    this.graph.node("Identity", [x], {}, [name]);
  }
}
