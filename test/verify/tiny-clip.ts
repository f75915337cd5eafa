import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GraphBuilder } from "../../src/onnx/graph.js";
import { ClipTokenizer } from "../../src/diffusion/tokenizer.js";
import { tinyBpeFiles } from "../../src/diffusion/tiny-tokenizer.js";

/**
 * Writes an oracle CLIP folder whose similarities have a closed form. The vision model returns
 * the per-channel mean of the normalised pixels, so a solid colour maps to its normalised RGB.
 * The text model sums one 3-vector per token: tokens found only in the prompt for `redClass`
 * add (1, 0, 0), tokens only in the prompt for `blueClass` add (0, 0, 1), and all others add
 * nothing. A red image therefore matches `redClass` and a blue image matches `blueClass`.
 */
export async function writeTinyClip(dir: string, redClass: string, blueClass: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const files = tinyBpeFiles();
  await writeFile(join(dir, "vocab.json"), JSON.stringify(files.vocab));
  await writeFile(join(dir, "merges.txt"), files.merges);
  const tokenizer = await ClipTokenizer.fromFolder(dir);
  const redIds = new Set(tokenizer.encode(`a photo of a ${redClass}`));
  const blueIds = new Set(tokenizer.encode(`a photo of a ${blueClass}`));
  const vocabSize = Math.max(...Object.values(files.vocab)) + 1;
  const table = new Float32Array(vocabSize * 3);
  for (const id of redIds) if (!blueIds.has(id)) table[id * 3] = 1;
  for (const id of blueIds) if (!redIds.has(id)) table[id * 3 + 2] = 1;

  const text = new GraphBuilder(
    [{ name: "input_ids", type: "int64", shape: ["batch", 77] }],
    [{ name: "text_embeds", type: "float", shape: ["batch", 3] }],
  );
  const embedded = text.node("Gather", [text.constant(table, [vocabSize, 3]), "input_ids"], { axis: 0 });
  text.node("ReduceSum", [embedded, text.constantInt64([1])], { keepdims: 0 }, ["text_embeds"]);
  await writeFile(join(dir, "text_model.onnx"), text.build().model);

  const vision = new GraphBuilder(
    [{ name: "pixel_values", type: "float", shape: ["batch", 3, 224, 224] }],
    [{ name: "image_embeds", type: "float", shape: ["batch", 3] }],
  );
  vision.node("ReduceMean", ["pixel_values"], { axes: [2, 3], keepdims: 0 }, ["image_embeds"]);
  await writeFile(join(dir, "vision_model.onnx"), vision.build().model);
}
