import * as tf from "@tensorflow/tfjs-core";
// tfjs-core alone registers no gradient functions. The union package registers all of them on
// the same engine. Node cannot import tfjs-core's own registration module (its ESM build uses
// directory imports), so the whole union package is loaded.
import "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { UserError } from "../core/errors.js";

/** TensorFlow.js backends d3s trains on. `wasm` is the default, see docs/learn.md for why. */
export type TrainingBackend = "wasm" | "cpu";

let ready: Promise<void> | undefined;
let active: TrainingBackend | undefined;

/**
 * Starts TensorFlow.js once per process on the wasm backend, loading its .wasm binaries from
 * the installed @tensorflow/tfjs-backend-wasm package (no network). The environment variable
 * D3S_TF_BACKEND=cpu selects the pure JavaScript backend instead.
 */
export function initTensorflow(
  backend: TrainingBackend = (process.env.D3S_TF_BACKEND as TrainingBackend | undefined) ?? "wasm",
): Promise<void> {
  if (ready !== undefined) {
    if (backend !== active) {
      throw new Error(`TensorFlow.js already runs on ${active}; it cannot switch to ${backend}.`);
    }
    return ready;
  }
  active = backend;
  ready = startBackend(backend);
  return ready;
}

async function startBackend(backend: TrainingBackend): Promise<void> {
  if (backend !== "wasm" && backend !== "cpu") {
    throw new UserError(`Invalid D3S_TF_BACKEND "${String(backend)}": use wasm or cpu.`);
  }
  tf.enableProdMode();
  if (backend === "wasm") {
    const require = createRequire(import.meta.url);
    const wasmFile = require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm");
    setWasmPaths(`${dirname(wasmFile)}/`);
  } else {
    await import("@tensorflow/tfjs-backend-cpu");
  }
  if (!(await tf.setBackend(backend))) {
    throw new Error(`TensorFlow.js could not start its ${backend} backend.`);
  }
  await tf.ready();
}

/** Returns the backend `initTensorflow` started, or undefined before it ran. */
export function activeBackend(): TrainingBackend | undefined {
  return active;
}

export { tf };
