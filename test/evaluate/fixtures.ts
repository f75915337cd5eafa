import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import sharp from "sharp";
import { GraphBuilder } from "../../src/onnx/graph.js";
import { presetConfig } from "../../src/evaluate/preprocess-config.js";

/** An RGB colour. */
export type Colour = [number, number, number];

export const RED: Colour = [255, 0, 0];
export const GREEN: Colour = [0, 255, 0];
export const BLUE: Colour = [0, 0, 255];

/**
 * Classes of the colour classifier. Each colour's class wins on a flat image of that colour.
 * Its four runner-up classes share the centre with a bias lower by 1, 2, 3 and 4, so a flat red
 * image's top-5 is exactly [10, 11, 12, 13, 14].
 */
export const COLOUR_CLASSES: Array<{ colour: Colour; classes: number[] }> = [
  { colour: RED, classes: [10, 11, 12, 13, 14] },
  { colour: GREEN, classes: [20, 21, 22, 23, 24] },
  { colour: BLUE, classes: [30, 31, 32, 33, 34] },
];

/** Normalises a flat colour as the torchvision preset does: (v / 255 - mean) / std. */
export function normalisedColour(colour: Colour): number[] {
  const config = presetConfig("torchvision");
  return colour.map((v, c) => (v / 255 - config.mean[c]) / config.std[c]);
}

/**
 * Writes a 1000-way nearest-centre classifier: it averages each channel of the input and scores
 * class k as 2 x.c_k - |c_k|^2 - offset_k, which equals |x|^2 - |x - c_k|^2 - offset_k. Classes
 * without a centre get -1e6, so they never reach the top 5.
 */
export async function writeColourClassifier(path: string, inputSize = 224): Promise<void> {
  const classes = 1000;
  const weights = new Float32Array(3 * classes);
  const bias = new Float32Array(classes).fill(-1e6);
  for (const { colour, classes: ranked } of COLOUR_CLASSES) {
    const centre = normalisedColour(colour);
    const squared = centre.reduce((sum, v) => sum + v * v, 0);
    ranked.forEach((k, offset) => {
      for (let c = 0; c < 3; c++) weights[c * classes + k] = 2 * centre[c];
      bias[k] = -squared - offset;
    });
  }
  const builder = new GraphBuilder(
    [{ name: "input", type: "float", shape: ["N", 3, inputSize, inputSize] }],
    [{ name: "logits", type: "float", shape: ["N", classes] }],
  );
  const means = builder.node("ReduceMean", ["input"], { axes: [2, 3], keepdims: 0 });
  const scores = builder.node("MatMul", [means, builder.constant(weights, [3, classes])]);
  builder.node("Add", [scores, builder.constant(bias, [classes])], {}, ["logits"]);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, builder.build().model);
}

/** Writes a flat-colour JPEG (quality 95) of the given size. */
export async function writeFlatJpeg(path: string, colour: Colour, width = 64, height = 48): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const [r, g, b] = colour;
  await sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .jpeg({ quality: 95 })
    .toFile(path);
}

/** One image of a fixture d3s split. */
export interface FixtureImage {
  colour: Colour;
  label: number;
  background: string;
}

/** Writes a d3s split folder (JPEG images + metadata.json) and returns its path. */
export async function writeD3sSplit(root: string, images: FixtureImage[]): Promise<string> {
  const entries = [];
  for (const [i, image] of images.entries()) {
    const shift = "background-shift";
    const file = `${shift}/${String(i).padStart(4, "0")}.jpg`;
    await writeFlatJpeg(join(root, file), image.colour);
    entries.push({
      image: file,
      classIdx: image.label,
      prompt: "",
      args: {},
      background: image.background,
      hasInit: true,
      id: `item-${i}`,
      shift,
      backgroundIdx: 0,
    });
  }
  await writeFile(join(root, "metadata.json"), JSON.stringify(entries));
  return root;
}

/**
 * Writes a classifier with `classes` outputs that scores class k as the channel mean of the input
 * times (k + 1). With `symbolicOutputs` the graph declares its output as `[N, C]`, so ONNX
 * Runtime's metadata gives no class count.
 */
export async function writeSmallClassifier(
  path: string,
  classes: number,
  symbolicOutputs = false,
): Promise<void> {
  const weights = new Float32Array(3 * classes);
  for (let k = 0; k < classes; k++) for (let c = 0; c < 3; c++) weights[c * classes + k] = k + 1;
  const builder = new GraphBuilder(
    [{ name: "input", type: "float", shape: ["N", 3, 224, 224] }],
    [{ name: "logits", type: "float", shape: ["N", symbolicOutputs ? "C" : classes] }],
  );
  const means = builder.node("ReduceMean", ["input"], { axes: [2, 3], keepdims: 0 });
  builder.node("MatMul", [means, builder.constant(weights, [3, classes])], {}, ["logits"]);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, builder.build().model);
}
