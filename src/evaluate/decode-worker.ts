import { parentPort } from "node:worker_threads";
import sharp from "sharp";
import { decodeImage, type RgbImage } from "../images/decode.js";
import { preprocessImage } from "./preprocess.js";
import type { PreprocessConfig } from "./preprocess-config.js";
import type { CropWindow } from "./resample.js";

/** A decode request sent to a worker. */
export interface DecodeTask {
  id: number;
  path: string;
  crop?: CropWindow;
  expectedSize?: { width: number; height: number };
}

/** A decode request with the preprocessing configs, one output tensor per config. */
export interface WorkerTask extends DecodeTask {
  configs: PreprocessConfig[];
}

/** A worker's reply: one tensor per preprocessing config, or the reason the file was skipped. */
export type DecodeResult =
  | { id: number; tensors: Float32Array[] }
  | { id: number; error: string };

/** The message a worker posts once its modules are loaded. */
export const WORKER_READY = "ready";

function cropImage(image: RgbImage, crop: CropWindow): RgbImage {
  const data = new Uint8Array(crop.width * crop.height * 3);
  const rowBytes = crop.width * 3;
  for (let y = 0; y < crop.height; y++) {
    const start = ((crop.top + y) * image.width + crop.left) * 3;
    data.set(image.data.subarray(start, start + rowBytes), y * rowBytes);
  }
  return { data, width: crop.width, height: crop.height };
}

/** Decodes, crops and preprocesses one image for every config. */
export async function decodeForModels(
  task: DecodeTask,
  configs: PreprocessConfig[],
): Promise<Float32Array[]> {
  let image = await decodeImage(task.path);
  const expected = task.expectedSize;
  if (expected && (image.width !== expected.width || image.height !== expected.height)) {
    throw new Error(
      `image is ${image.width}x${image.height}, expected a ${expected.width}x${expected.height} grid`,
    );
  }
  if (task.crop) image = cropImage(image, task.crop);
  return configs.map((config) => preprocessImage(image, config));
}

if (parentPort !== null) {
  const port = parentPort;
  // Each worker decodes one image at a time, because extra libvips threads would compete with ORT.
  sharp.concurrency(1);
  port.on("message", (task: WorkerTask) => {
    decodeForModels(task, task.configs).then(
      (tensors) => {
        const reply: DecodeResult = { id: task.id, tensors };
        port.postMessage(reply, tensors.map((tensor) => tensor.buffer as ArrayBuffer));
      },
      (error: unknown) => {
        const reply: DecodeResult = { id: task.id, error: (error as Error).message };
        port.postMessage(reply);
      },
    );
  });
  port.postMessage(WORKER_READY);
}
