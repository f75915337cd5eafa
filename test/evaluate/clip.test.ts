import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Random } from "../../src/core/rng.js";
import { byteCharacters } from "../../src/diffusion/tokenizer.js";
import { classTextEmbeddings, type ClipFolder } from "../../src/evaluate/clip.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { GraphBuilder } from "../../src/onnx/graph.js";
import { GREEN, RED, writeD3sSplit } from "./fixtures.js";
import { temporaryFolder } from "../support/temporary.js";

const DIM = 16;
const CONTEXT = 77;

/** Writes a byte-level vocabulary (every byte character, alone and word-final) and no merges. */
async function writeTokenizer(folder: string): Promise<number> {
  const pieces = byteCharacters().flatMap((character) => [character, `${character}</w>`]);
  const vocab = Object.fromEntries([...pieces, "<|startoftext|>", "<|endoftext|>"].map((piece, id) => [piece, id]));
  await writeFile(join(folder, "vocab.json"), JSON.stringify(vocab));
  await writeFile(join(folder, "merges.txt"), "#version: 0.2\n");
  return Object.keys(vocab).length;
}

/** Text model: sum over positions of token embedding x position weight, so word order matters. */
async function writeTextModel(path: string, vocabSize: number): Promise<void> {
  const random = new Random("tiny-clip-text");
  const builder = new GraphBuilder(
    [{ name: "input_ids", type: "int64", shape: ["N", CONTEXT] }],
    [{ name: "text_embeds", type: "float", shape: ["N", DIM] }],
  );
  const tokens = builder.node("Gather", [builder.constant(random.normals(vocabSize * DIM), [vocabSize, DIM]), "input_ids"]);
  const weighted = builder.node("Mul", [tokens, builder.constant(random.normals(CONTEXT * DIM), [CONTEXT, DIM])]);
  builder.node("ReduceSum", [weighted, builder.constantInt64([1])], { keepdims: 0 }, ["text_embeds"]);
  await writeFile(path, builder.build().model);
}

/** Vision model whose embedding is `target` for every image (zero weights plus a bias). */
async function writeVisionModel(path: string, target: Float32Array): Promise<void> {
  const builder = new GraphBuilder(
    [{ name: "pixel_values", type: "float", shape: ["N", 3, 224, 224] }],
    [{ name: "image_embeds", type: "float", shape: ["N", DIM] }],
  );
  const means = builder.node("ReduceMean", ["pixel_values"], { axes: [2, 3], keepdims: 0 });
  const projected = builder.node("MatMul", [means, builder.constant(new Float32Array(3 * DIM), [3, DIM])]);
  builder.node("Add", [projected, builder.constant(target, [DIM])], {}, ["image_embeds"]);
  await writeFile(path, builder.build().model);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}

test("clip zero-shot predicts by index", async () => {
  const root = await temporaryFolder("d3s-clip-");
  const folder = join(root, "tiny-clip");
  await mkdir(join(folder, "onnx"), { recursive: true });
  const clip: ClipFolder = { folder, text: join(folder, "onnx", "text_model.onnx"), vision: join(folder, "onnx", "vision_model.onnx") };
  await writeTextModel(clip.text, await writeTokenizer(folder));
  const cacheDir = join(root, "cache");

  // 1. Text embeddings of "a photo of a {class}" for 1000 classes, unit length, cached once.
  const { embeddings, classes } = await classTextEmbeddings(clip, { device: "cpu", threads: 1, cacheDir });
  assert.equal(classes, 1000);
  assert.equal(embeddings.length, 1000 * DIM);
  const rowOf = (k: number) => embeddings.subarray(k * DIM, (k + 1) * DIM);
  assert.ok(Math.abs(cosine(rowOf(5), rowOf(5)) - 1) < 1e-5);
  assert.equal((await readdir(cacheDir)).length, 1);
  const again = await classTextEmbeddings(clip, { device: "cpu", threads: 1, cacheDir });
  assert.deepEqual(again.embeddings, embeddings);

  // 2. Pick a class whose prompt embedding is distinct from every other class's, and make the
  //    vision model return it: cosine 1 with that class and < 0.99 with the rest, so zero-shot
  //    argmax is that class's index for any image.
  const target = [...Array(1000).keys()].find((k) =>
    [...Array(1000).keys()].every((j) => j === k || cosine(rowOf(k), rowOf(j)) < 0.99),
  );
  assert.ok(target !== undefined);
  await writeVisionModel(clip.vision, Float32Array.from(rowOf(target)));

  // 3. Evaluate: the image labelled `target` is right, the other label is wrong.
  const other = (target + 1) % 1000;
  const dataset = await writeD3sSplit(join(root, "data"), [
    { colour: RED, label: target, background: "in snow" },
    { colour: GREEN, label: other, background: "in snow" },
  ]);
  const { results } = await evaluate({ dataset, models: [folder], out: join(root, "out"), workers: 1, resamples: 20, cacheDir, report: false });
  assert.equal(results[0].model.kind, "clip");
  assert.equal(results[0].model.preprocess.interpolation, "bicubic");
  assert.equal(results[0].predictions.dataset[0].top5[0], target);
  assert.equal(results[0].rows[0].top1, 1 / 2);
});
