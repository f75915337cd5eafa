import { UserError } from "../core/errors.js";
import type { RgbImage } from "../images/decode.js";
import { cropResizeBicubic, resizeBicubic } from "../images/resize.js";
import { inputMetadata, openSession, ort, type Device } from "../onnx/session.js";
import type { MASK_NORMALIZATIONS } from "./options.js";

/** Input side used when the model's input shape is symbolic (U2-Net's native size). */
export const DEFAULT_MASK_INPUT_SIZE = 320;

const NORMALIZATIONS: Record<
  (typeof MASK_NORMALIZATIONS)[number],
  { mean: number[]; std: number[] }
> = {
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  isnet: { mean: [0.5, 0.5, 0.5], std: [1, 1, 1] },
};

/** Options of loadMaskModel. */
export interface MaskModelOptions {
  device?: Device;
  threads?: number;
  /** Saliency above this fraction of the min-max range is foreground; default 0.5. */
  threshold: number;
  normalize: (typeof MASK_NORMALIZATIONS)[number];
}

/** A salient-object model that turns a photo into a 0/255 foreground mask of its size. */
export interface MaskModel {
  predict(image: RgbImage): Promise<Uint8Array>;
}

/**
 * Opens a salient-object ONNX model such as U2-Net or ISNet. Its first input must be float32
 * NCHW with 3 channels. Its first output is a saliency map whose last two dimensions are the
 * map's height and width. The map is min-max normalised (as rembg does), resized to the photo
 * and thresholded.
 */
export async function loadMaskModel(path: string, options: MaskModelOptions): Promise<MaskModel> {
  const session = await openSession(path, { device: options.device, threads: options.threads });
  const [input] = [...inputMetadata(session).values()];
  const shape = input?.shape ?? [];
  if (
    input === undefined ||
    shape.length !== 4 ||
    (typeof shape[1] === "number" && shape[1] !== 3)
  ) {
    throw new UserError(
      `Mask model ${path} has input ${input?.name ?? "(none)"} with shape [${shape.join(", ")}]; ` +
        "expected a float32 NCHW image input [1, 3, height, width].",
    );
  }
  const height = typeof shape[2] === "number" && shape[2] > 0 ? shape[2] : DEFAULT_MASK_INPUT_SIZE;
  const width = typeof shape[3] === "number" && shape[3] > 0 ? shape[3] : DEFAULT_MASK_INPUT_SIZE;
  const { mean, std } = NORMALIZATIONS[options.normalize];
  const outputName = session.outputNames[0];

  return {
    async predict(image: RgbImage): Promise<Uint8Array> {
      const resized = await resizeBicubic(image, width, height);
      const tensor = toNormalizedTensor(resized, mean, std);
      const result = await session.run({
        [input.name]: new ort.Tensor("float32", tensor, [1, 3, height, width]),
      });
      const output = result[outputName];
      const dims = output.dims;
      const mapHeight = dims[dims.length - 2];
      const mapWidth = dims[dims.length - 1];
      const saliency = (output.data as Float32Array).subarray(0, mapHeight * mapWidth);
      const map = { data: toBytes(saliency), width: mapWidth, height: mapHeight, channels: 1 };
      const full = await cropResizeBicubic(map, image.width, image.height);
      const cut = Math.round(options.threshold * 255);
      return full.data.map((value) => (value > cut ? 255 : 0));
    },
  };
}

/** Converts HWC bytes to normalised CHW floats: (x / 255 - mean) / std per channel. */
function toNormalizedTensor(image: RgbImage, mean: number[], std: number[]): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let channel = 0; channel < 3; channel++) {
      out[channel * plane + i] = (image.data[i * 3 + channel] / 255 - mean[channel]) / std[channel];
    }
  }
  return out;
}

/** Min-max normalises a saliency map to 0..255 bytes; a flat map becomes all zero. */
function toBytes(saliency: Float32Array): Uint8Array {
  let min = Infinity;
  let max = -Infinity;
  for (const value of saliency) {
    if (!Number.isFinite(value)) throw new Error("Mask model returned non-finite saliency values.");
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  const range = max - min;
  return Uint8Array.from(saliency, (value) =>
    range > 0 ? Math.round(((value - min) / range) * 255) : 0,
  );
}
