import { UserError } from "../core/errors.js";
import { inputMetadata, ort, outputMetadata, type TensorMetadata } from "../onnx/session.js";
import { fromFloat16Array, toFloat16Array } from "./float16.js";

/** A float32 or integer tensor on the JavaScript side of a session call. */
export interface HostTensor {
  data: Float32Array | number[];
  dims: number[];
}

/** Expected name, element types, ranks and fixed sizes of one model input. */
export interface InputSpec {
  name: string;
  types: readonly string[];
  ranks: readonly number[];
  /** Required sizes by axis, checked when the model fixes that axis. */
  sizes?: Record<number, number>;
}

export const FLOAT_TYPES = ["float32", "float16"] as const;

/**
 * One ONNX Runtime session of a Stable Diffusion folder (text encoder, UNet, VAE encoder or
 * decoder). It checks the model's inputs against what the pipeline feeds, converts float32 to
 * the model's float type on the way in and back on the way out, and adds up its run time.
 */
export class ModelPart {
  /** Cumulative milliseconds inside `session.run`. */
  runTimeMs = 0;
  /** Number of `session.run` calls. */
  runCount = 0;
  readonly inputs: Map<string, TensorMetadata>;
  readonly outputs: Map<string, TensorMetadata>;

  constructor(
    readonly file: string,
    readonly session: ort.InferenceSession,
  ) {
    this.inputs = inputMetadata(session);
    this.outputs = outputMetadata(session);
  }

  /** Checks every expected input and rejects unexpected ones, naming the file. */
  validate(specs: InputSpec[]): void {
    for (const spec of specs) {
      const actual = this.inputs.get(spec.name);
      const expected = describe(spec);
      if (actual === undefined) {
        const names = [...this.inputs.keys()].join(", ");
        throw new UserError(
          `${this.file}: missing input "${spec.name}" (${expected}); the model has: ${names}.`,
        );
      }
      if (!spec.types.includes(actual.type)) {
        throw new UserError(
          `${this.file}: input "${spec.name}" has type ${actual.type}; expected ${expected}.`,
        );
      }
      if (!spec.ranks.includes(actual.shape.length)) {
        throw new UserError(
          `${this.file}: input "${spec.name}" has shape [${actual.shape.join(", ")}]; expected ${expected}.`,
        );
      }
      for (const [axis, size] of Object.entries(spec.sizes ?? {})) {
        const dim = actual.shape[Number(axis)];
        if (typeof dim === "number" && dim !== size) {
          throw new UserError(
            `${this.file}: input "${spec.name}" has size ${dim} on axis ${axis}; expected ${size} (${expected}).`,
          );
        }
      }
    }
    const known = new Set(specs.map((spec) => spec.name));
    const extra = [...this.inputs.keys()].filter((name) => !known.has(name));
    if (extra.length > 0) {
      throw new UserError(
        `${this.file}: unexpected input(s) ${extra.join(", ")}; expected only ${[...known].join(", ")}. ` +
          `d3s supports Stable Diffusion 1.x/2.x ONNX exports.`,
      );
    }
  }

  /** Returns the model's type for an input (for example "int64" or "float16"). */
  inputType(name: string): string {
    return this.inputs.get(name)?.type ?? "float32";
  }

  /** Runs the session, converting inputs to the model's types and float outputs to float32. */
  async run(
    feeds: Record<string, HostTensor>,
  ): Promise<Map<string, { data: Float32Array; dims: number[] }>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      ortFeeds[name] = toOrtTensor(this.inputType(name), tensor);
    }
    const started = performance.now();
    const results = await this.session.run(ortFeeds);
    this.runTimeMs += performance.now() - started;
    this.runCount += 1;
    const outputs = new Map<string, { data: Float32Array; dims: number[] }>();
    for (const [name, tensor] of Object.entries(results)) {
      outputs.set(name, { data: toFloat32(tensor), dims: [...tensor.dims] });
    }
    return outputs;
  }
}

function describe(spec: InputSpec): string {
  const ranks = spec.ranks.map((rank) => `rank ${rank}`).join(" or ");
  const sizes = Object.entries(spec.sizes ?? {})
    .map(([axis, size]) => `size ${size} on axis ${axis}`)
    .join(", ");
  return `${spec.types.join(" or ")}, ${ranks}${sizes ? `, ${sizes}` : ""}`;
}

function toOrtTensor(type: string, tensor: HostTensor): ort.Tensor {
  const { data, dims } = tensor;
  if (type === "float32") {
    return new ort.Tensor(
      "float32",
      data instanceof Float32Array ? data : Float32Array.from(data),
      dims,
    );
  }
  if (type === "float16")
    return new ort.Tensor("float16", toFloat16Array(Float32Array.from(data)), dims);
  if (type === "int64") {
    return new ort.Tensor(
      "int64",
      BigInt64Array.from(Array.from(data, (v) => BigInt(Math.round(v)))),
      dims,
    );
  }
  if (type === "int32")
    return new ort.Tensor(
      "int32",
      Int32Array.from(data, (v) => Math.round(v)),
      dims,
    );
  throw new UserError(`Unsupported ONNX input type ${type}.`);
}

function toFloat32(tensor: ort.Tensor): Float32Array {
  if (tensor.type === "float32") return tensor.data as Float32Array;
  if (tensor.type === "float16") return fromFloat16Array(tensor.data as Uint16Array);
  return Float32Array.from(tensor.data as ArrayLike<number>);
}
