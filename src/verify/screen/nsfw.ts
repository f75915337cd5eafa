import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tfl from "@tensorflow/tfjs";
import { initTensorflow, tf } from "../../learn/backend.js";
import { toRgbPipeline } from "../../images/decode.js";

/** Input size of the nsfwjs MobileNetV2 model. */
const NSFW_SIZE = 224;

/** Output classes of the nsfwjs models, in output order. */
export const NSFW_CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"] as const;

/** Classes whose probabilities add up to the NSFW score. */
const UNSAFE_CLASSES = new Set<string>(["Hentai", "Porn", "Sexy"]);

/** The nsfwjs MobileNetV2 classifier, loaded from the files inside the installed package. */
export interface NsfwModel {
  /** Model name and version, stored with each score. */
  name: string;
  /** Returns P(Hentai) + P(Porn) + P(Sexy) for an encoded image file. */
  score(bytes: Buffer): Promise<number>;
  dispose(): void;
}

/**
 * Loads the MobileNetV2 NSFW model shipped in the nsfwjs package (MIT, by Infinite Red) from
 * `node_modules/nsfwjs/dist/models/mobilenet_v2`, offline. Those files are CommonJS modules
 * that export the Keras model JSON and the base64 weight shard, so an in-memory IO handler hands
 * them to TensorFlow.js without any URL.
 */
export async function loadNsfwModel(): Promise<NsfwModel> {
  await initTensorflow();
  const require = createRequire(import.meta.url);
  const packageDir = join(dirname(require.resolve("nsfwjs")), "..", "..");
  const version = (require(join(packageDir, "package.json")) as { version: string }).version;
  const modelDir = join(packageDir, "dist", "models", "mobilenet_v2");
  const modelJson = require(join(modelDir, "model.min.js")) as tfl.io.ModelJSON;
  const weightSpecs: tfl.io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const path of group.paths) {
      shards.push(Buffer.from(require(join(modelDir, `${path}.min.js`)) as string, "base64"));
    }
  }
  const weights = Buffer.concat(shards);
  const handler: tfl.io.IOHandler = {
    load: async () => ({
      modelTopology: modelJson.modelTopology,
      weightSpecs,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
    }),
  };
  const model = await tfl.loadLayersModel(handler);
  return {
    name: `nsfwjs@${version}/mobilenet_v2`,
    score: (bytes) => scoreImage(model, bytes),
    dispose: () => model.dispose(),
  };
}

/** Resizes to 224 x 224 (no crop, as nsfwjs does), scales to [0, 1] and sums the unsafe classes. */
async function scoreImage(model: tfl.LayersModel, bytes: Buffer): Promise<number> {
  const pixels = await toRgbPipeline(bytes)
    .resize(NSFW_SIZE, NSFW_SIZE, { fit: "fill", kernel: "linear" })
    .raw()
    .toBuffer();
  const probabilities = tf.tidy(() => {
    const input = tf.tensor4d(Float32Array.from(pixels, (value) => value / 255), [1, NSFW_SIZE, NSFW_SIZE, 3]);
    return model.predict(input) as tfl.Tensor;
  });
  const values = await probabilities.data();
  probabilities.dispose();
  return NSFW_CLASSES.reduce((total, name, i) => (UNSAFE_CLASSES.has(name) ? total + values[i] : total), 0);
}
