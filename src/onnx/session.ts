import ort from "onnxruntime-node";
import { access } from "node:fs/promises";
import { UserError } from "../core/errors.js";

/** Where ONNX Runtime runs a model. `cuda` and `webgpu` need a runtime build that has them. */
export type Device = "cpu" | "cuda" | "webgpu";
export const DEVICES: readonly Device[] = ["cpu", "cuda", "webgpu"];

/** Options for opening an ONNX Runtime session. */
export interface SessionOptions {
  /** Execution provider; default `cpu`. */
  device?: Device;
  /** Intra-op threads; default 0, which lets ONNX Runtime use every core. */
  threads?: number;
  /**
   * Lets idle intra-op threads spin while waiting for work; default false. Spinning made 60
   * tiny-UNet calls about twice as slow on a loaded 2-core machine (bench/diffusion/thread-spinning.ts).
   */
  spinning?: boolean;
}

/** Returns the execution providers that this onnxruntime-node build lists. */
export function availableDevices(): string[] {
  const listed = (ort.env as unknown as { availableBackends?: string[] }).availableBackends;
  const fromBackend = (
    ort as unknown as { listSupportedBackends?: () => Array<{ name: string }> }
  ).listSupportedBackends?.();
  return fromBackend?.map((backend) => backend.name) ?? listed ?? ["cpu"];
}

/**
 * Opens an ONNX Runtime session on a model file, with a message that names the file when it is
 * missing or cannot be parsed.
 */
export async function openSession(
  path: string,
  options: SessionOptions = {},
): Promise<ort.InferenceSession> {
  try {
    await access(path);
  } catch {
    throw new UserError(`Model file not found: ${path}. Check the path or the model folder layout.`);
  }
  const device = options.device ?? "cpu";
  const supported = availableDevices();
  if (device !== "cpu" && !supported.includes(device)) {
    throw new UserError(
      `Device "${device}" is not available in this onnxruntime-node build (it has: ${supported.join(", ")}). ` +
        `Use --device cpu, or install an onnxruntime-node build with the ${device} provider.`,
    );
  }
  try {
    return await ort.InferenceSession.create(path, {
      executionProviders: [device],
      intraOpNumThreads: options.threads ?? 0,
      graphOptimizationLevel: "all",
      // Flattened by onnxruntime-node into the session config key session.intra_op.allow_spinning.
      extra: { session: { intra_op: { allow_spinning: options.spinning === true ? "1" : "0" } } },
    });
  } catch (error) {
    throw new UserError(`ONNX Runtime could not load ${path}: ${(error as Error).message}`);
  }
}

/** Input or output metadata as onnxruntime-node reports it. */
export interface TensorMetadata {
  name: string;
  type: string;
  shape: Array<number | string>;
}

/** Returns the metadata of a session's inputs, by name. */
export function inputMetadata(session: ort.InferenceSession): Map<string, TensorMetadata> {
  return toMetadataMap(
    (session as unknown as { inputMetadata: TensorMetadata[] }).inputMetadata,
  );
}

/** Returns the metadata of a session's outputs, by name. */
export function outputMetadata(session: ort.InferenceSession): Map<string, TensorMetadata> {
  return toMetadataMap(
    (session as unknown as { outputMetadata: TensorMetadata[] }).outputMetadata,
  );
}

function toMetadataMap(list: TensorMetadata[]): Map<string, TensorMetadata> {
  return new Map(list.map((entry) => [entry.name, entry]));
}

export { ort };
