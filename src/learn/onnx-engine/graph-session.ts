import { ort } from "../../onnx/session.js";

/**
 * Opens an ONNX Runtime session on a graph built in memory, with the settings of
 * src/onnx/session.ts: full graph optimisation and no spinning threads. `threads` 0 (the
 * default) lets ONNX Runtime use every core.
 */
export function openGraphSession(model: Uint8Array, threads = 0): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    graphOptimizationLevel: "all",
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  });
}
