import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** Element types the builder writes; the numbers are ONNX TensorProto.DataType codes. */
export const DataType = { float: 1, int32: 6, int64: 7, float16: 10, bool: 9 } as const;
export type DataTypeName = keyof typeof DataType;

/** A graph input or output: a name, an element type and a shape whose strings are symbolic. */
export interface ValueSpec {
  name: string;
  type: DataTypeName;
  shape: Array<number | string>;
}

/** An initializer: a named constant tensor stored in the model. */
export interface InitializerSpec {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint16Array;
  /** Stores the data in a separate file next to the model (ONNX external data). */
  external?: string;
}

type AttributeValue = number | number[] | string | Float32Array;

/**
 * A small builder for ONNX graphs. d3s uses it to write the tiny test and demo models, the
 * oracle models of the tests and the oracle UNet/VAE whose outputs are known in closed form.
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: InitializerSpec[] = [];
  private counter = 0;

  constructor(
    readonly inputs: ValueSpec[],
    readonly outputs: ValueSpec[],
    readonly opset = 17,
  ) {}

  /** Returns a fresh intermediate tensor name. */
  fresh(prefix = "t"): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }

  /** Adds a node and returns its first output name. */
  node(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    outputs: string[] = [this.fresh(opType.toLowerCase())],
  ): string {
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: this.fresh(`n_${opType}`),
      attribute: Object.entries(attributes).map(([name, value]) => toAttribute(name, value)),
    });
    return outputs[0];
  }

  /** Adds a float32 constant and returns its name. */
  constant(values: ArrayLike<number>, dims: number[], name = this.fresh("const")): string {
    this.initializers.push({ name, dims, data: Float32Array.from(values) });
    return name;
  }

  /** Adds an int64 constant (shapes, axes) and returns its name. */
  constantInt64(values: number[], dims = [values.length], name = this.fresh("shape")): string {
    this.initializers.push({ name, dims, data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  }

  /** Adds an initializer as given. */
  initializer(spec: InitializerSpec): string {
    this.initializers.push(spec);
    return spec.name;
  }

  /**
   * Serialises the model. Initializers with `external` set are returned separately as
   * (file name, bytes) pairs, to be written beside the model file.
   */
  build(graphName = "d3s"): { model: Uint8Array; externalFiles: Map<string, Uint8Array> } {
    const externalFiles = new Map<string, Uint8Array>();
    const tensors = this.initializers.map((spec) => toTensor(spec, externalFiles));
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "d3s",
      opsetImport: [{ domain: "", version: this.opset }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: tensors,
        input: this.inputs.map(toValueInfo),
        output: this.outputs.map(toValueInfo),
      },
    });
    return { model: onnx.ModelProto.encode(model).finish(), externalFiles };
  }
}

function toAttribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const types = onnx.AttributeProto.AttributeType;
  if (typeof value === "string") {
    return { name, type: types.STRING, s: new TextEncoder().encode(value) };
  }
  if (value instanceof Float32Array) {
    return { name, type: types.FLOATS, floats: Array.from(value) };
  }
  if (Array.isArray(value)) return { name, type: types.INTS, ints: value };
  if (Number.isInteger(value)) return { name, type: types.INT, i: value };
  return { name, type: types.FLOAT, f: value };
}

function toValueInfo(spec: ValueSpec): onnxProto.onnx.IValueInfoProto {
  return {
    name: spec.name,
    type: {
      tensorType: {
        elemType: DataType[spec.type],
        shape: {
          dim: spec.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function toTensor(
  spec: InitializerSpec,
  externalFiles: Map<string, Uint8Array>,
): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength);
  const dataType =
    spec.data instanceof Float32Array
      ? DataType.float
      : spec.data instanceof BigInt64Array
        ? DataType.int64
        : spec.data instanceof Int32Array
          ? DataType.int32
          : DataType.float16;
  const tensor: onnxProto.onnx.ITensorProto = { name: spec.name, dims: spec.dims, dataType };
  if (spec.external === undefined) {
    tensor.rawData = bytes;
    return tensor;
  }
  const previous = externalFiles.get(spec.external) ?? new Uint8Array(0);
  // Offsets are aligned to 4 KiB pages, as ONNX Runtime maps external data with mmap.
  const offset = Math.ceil(previous.length / 4096) * 4096;
  const merged = new Uint8Array(offset + bytes.length);
  merged.set(previous);
  merged.set(bytes, offset);
  externalFiles.set(spec.external, merged);
  tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  tensor.externalData = [
    { key: "location", value: spec.external },
    { key: "offset", value: String(offset) },
    { key: "length", value: String(bytes.length) },
  ];
  return tensor;
}
