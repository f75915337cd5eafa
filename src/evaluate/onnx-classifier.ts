import { basename } from "node:path";
import { UserError } from "../core/errors.js";
import { hashFile } from "../core/hash.js";
import { inputMetadata, openSession, ort, outputMetadata, type Device } from "../onnx/session.js";
import type { PreprocessConfig } from "./preprocess-config.js";

/** Model families that d3s evaluate reads. */
export type ModelKind = "onnx" | "huggingface" | "clip";

/** A loaded classifier: one ONNX Runtime session (two for CLIP) and its preprocessing. */
export interface Classifier {
  /** Name shown in results: the file or folder name, made unique by the caller. */
  name: string;
  kind: ModelKind;
  /** Path of the model file or folder. */
  source: string;
  /** SHA-256 of the model file (for CLIP, of both model files' hashes). */
  hash: string;
  preprocess: PreprocessConfig;
  /** Output label names by index, when the model folder has them. */
  labels?: string[];
  /** Runs `count` preprocessed images and returns `count x outputs` logits. */
  run(batch: Float32Array, count: number): Promise<{ logits: Float32Array; outputs: number }>;
  /** Largest batch the model accepts, 1 when its batch dimension is fixed. */
  maxBatch: number;
  /** Number of scores per image, read when the model is loaded. */
  outputs: number;
  close(): Promise<void>;
}

/** Session options shared by every model. */
export interface LoadOptions {
  device: Device;
  threads: number;
}

/**
 * Opens an ONNX image classifier whose first input takes `N x 3 x S x S` (or `N x S x S x 3`)
 * floats and whose `logits` output (else the first output) gives one score per class.
 */
export async function loadOnnxClassifier(
  file: string,
  preprocess: PreprocessConfig,
  options: LoadOptions,
  kind: ModelKind = "onnx",
): Promise<Classifier> {
  const session = await openSession(file, options);
  const [inputName, input] = [...inputMetadata(session)][0];
  const outputName = outputMetadata(session).has("logits") ? "logits" : session.outputNames[0];
  checkInputShape(file, input.shape, preprocess);
  const size = preprocess.inputSize;
  const dims = preprocess.layout === "nchw" ? [3, size, size] : [size, size, 3];
  const run = async (batch: Float32Array, count: number) => {
    const tensor = new ort.Tensor("float32", batch, [count, ...dims]);
    const result = await session.run({ [inputName]: tensor });
    const logits = result[outputName].data as Float32Array;
    return { logits, outputs: logits.length / count };
  };
  return {
    name: basename(file).replace(/\.onnx$/, ""),
    kind,
    source: file,
    hash: await hashFile(file),
    preprocess,
    maxBatch: input.shape[0] === 1 ? 1 : Number.MAX_SAFE_INTEGER,
    outputs: await outputCount(session, outputName, run, dims),
    run,
    close: () => session.release(),
  };
}

/**
 * Returns the number of scores per image: the product of the output's non-batch dimensions from
 * the session metadata, or, when one of them is symbolic, the output size for one all-zero image.
 */
async function outputCount(
  session: ort.InferenceSession,
  outputName: string,
  run: (batch: Float32Array, count: number) => Promise<{ outputs: number }>,
  dims: number[],
): Promise<number> {
  const perImage = (outputMetadata(session).get(outputName)?.shape ?? []).slice(1);
  if (perImage.length > 0 && perImage.every((dim) => typeof dim === "number" && dim > 0)) {
    return (perImage as number[]).reduce((a, b) => a * b, 1);
  }
  const probe = await run(new Float32Array(dims.reduce((a, b) => a * b, 1)), 1);
  return probe.outputs;
}

function checkInputShape(file: string, shape: Array<number | string>, config: PreprocessConfig): void {
  const size = config.inputSize;
  const expected = config.layout === "nchw" ? [3, size, size] : [size, size, 3];
  const fixed = shape.slice(1);
  const mismatch =
    shape.length !== 4 || fixed.some((dim, i) => typeof dim === "number" && dim !== expected[i]);
  if (mismatch) {
    throw new UserError(
      `Model ${file} takes input [${shape.join(", ")}], but its preprocessing gives ` +
        `[N, ${expected.join(", ")}]. Set inputSize and layout in the preprocessing config to match.`,
    );
  }
}
