import onnxProto from "onnx-proto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { UserError } from "../core/errors.js";

const { onnx } = onnxProto;
const RANDOM_OPS = new Set(["RandomNormalLike", "RandomNormal"]);
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** Prefix of the graph inputs that replace in-graph random nodes; d3s feeds them seeded noise. */
export const NOISE_INPUT_PREFIX = "d3s_noise_";

/** Returns whether a model file contains a random-normal node (a cheap byte search first). */
export async function hasRandomNormal(path: string): Promise<boolean> {
  const bytes = await readFile(path);
  return bytes.includes("RandomNormal");
}

/**
 * Rewrites a VAE encoder that samples its latent inside the graph (diffusers' and Optimum's
 * ONNX exports call `latent_dist.sample()`, which becomes a RandomNormal(Like) node that ONNX
 * Runtime seeds from the clock). Each such node becomes a graph input named
 * `d3s_noise_<k>`, so the latent is still mean + std * noise as in diffusers, but with noise
 * the pipeline draws from the item's seeded generator: same seed, same bytes. External
 * weights are read into the model so the rewritten bytes load without the folder.
 */
export async function rewriteRandomNormal(
  path: string,
): Promise<{ model: Uint8Array; noiseInputs: string[] }> {
  const model = onnx.ModelProto.decode(await readFile(path));
  const graph = model.graph;
  if (!graph) throw new UserError(`${path}: the ONNX file has no graph.`);
  // From opset 15 a CastLike gives the noise the type of the random node's input, whatever it
  // is. Older graphs take the noise in the image input's type (right for uniform fp16/fp32).
  const opset = Number(model.opsetImport?.find((entry) => !entry.domain)?.version ?? 0);
  const castLike = opset >= 15;
  const sampleType = graph.input?.[0]?.type?.tensorType?.elemType ?? FLOAT;
  const noiseInputs: string[] = [];
  const nodes: onnxProto.onnx.INodeProto[] = [];
  for (const node of graph.node ?? []) {
    if (!RANDOM_OPS.has(node.opType ?? "")) {
      nodes.push(node);
      continue;
    }
    const name = `${NOISE_INPUT_PREFIX}${noiseInputs.length}`;
    noiseInputs.push(name);
    const dtype = attributeInt(node, "dtype");
    const typed = castLike ? castNoise(node, name, dtype) : { nodes: [], output: name };
    nodes.push(...typed.nodes, ...replacementNodes(node, typed.output));
    const inputType = castLike ? FLOAT : (dtype ?? sampleType);
    graph.input = [...(graph.input ?? []), noiseValueInfo(name, inputType)];
  }
  graph.node = nodes;
  await inlineExternalData(graph, dirname(path));
  return { model: onnx.ModelProto.encode(model).finish(), noiseInputs };
}

/** Casts float32 noise to the random node's output type: its dtype, else its input's type. */
function castNoise(
  node: onnxProto.onnx.INodeProto,
  input: string,
  dtype: number | undefined,
): { nodes: onnxProto.onnx.INodeProto[]; output: string } {
  const output = `${input}_typed`;
  const like = node.opType === "RandomNormalLike" ? node.input?.[0] : undefined;
  if (dtype === undefined && like !== undefined) {
    return {
      nodes: [{ opType: "CastLike", input: [input, like], output: [output], name: output }],
      output,
    };
  }
  const to = { name: "to", type: onnx.AttributeProto.AttributeType.INT, i: dtype ?? FLOAT };
  return {
    nodes: [{ opType: "Cast", input: [input], output: [output], name: output, attribute: [to] }],
    output,
  };
}

/** Replaces a random node by mean + scale * input (Identity when mean 0 and scale 1). */
function replacementNodes(
  node: onnxProto.onnx.INodeProto,
  input: string,
): onnxProto.onnx.INodeProto[] {
  const output = node.output?.[0] ?? "";
  const mean = attributeFloat(node, "mean") ?? 0;
  const scale = attributeFloat(node, "scale") ?? 1;
  if (mean === 0 && scale === 1)
    return [{ opType: "Identity", input: [input], output: [output], name: `${output}_d3s` }];
  // NOTE: non-default mean/scale are applied by an affine op whose constants are float32, so
  // this branch supports float32 encoders only; Stable Diffusion exports use mean 0, scale 1.
  const floatAttr = (name: string, value: number) => ({
    name,
    type: onnx.AttributeProto.AttributeType.TENSOR,
    t: { dataType: 1, dims: [], floatData: [value] },
  });
  return [
    { opType: "Constant", output: [`${output}_scale`], attribute: [floatAttr("value", scale)] },
    { opType: "Constant", output: [`${output}_mean`], attribute: [floatAttr("value", mean)] },
    { opType: "Mul", input: [input, `${output}_scale`], output: [`${output}_scaled`] },
    { opType: "Add", input: [`${output}_scaled`, `${output}_mean`], output: [output] },
  ];
}

function noiseValueInfo(name: string, elemType: number): onnxProto.onnx.IValueInfoProto {
  const dim = ["batch", "channels", "height", "width"].map((dimParam) => ({
    dimParam: `${name}_${dimParam}`,
  }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function attribute(node: onnxProto.onnx.INodeProto, name: string) {
  return node.attribute?.find((entry) => entry.name === name);
}

function attributeInt(node: onnxProto.onnx.INodeProto, name: string): number | undefined {
  const value = attribute(node, name)?.i;
  return value === undefined || value === null ? undefined : Number(value);
}

function attributeFloat(node: onnxProto.onnx.INodeProto, name: string): number | undefined {
  const value = attribute(node, name)?.f;
  return value === undefined || value === null ? undefined : value;
}

/** Moves external tensor data into the model, so it can be loaded from bytes. */
async function inlineExternalData(
  graph: onnxProto.onnx.IGraphProto,
  folder: string,
): Promise<void> {
  const files = new Map<string, Buffer>();
  for (const tensor of graph.initializer ?? []) {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const info = new Map((tensor.externalData ?? []).map((entry) => [entry.key, entry.value]));
    const location = info.get("location");
    if (!location) {
      throw new UserError(`${folder}: tensor ${tensor.name} has external data without a location.`);
    }
    const file = join(folder, location);
    let bytes = files.get(file);
    if (bytes === undefined) {
      try {
        bytes = await readFile(file);
      } catch {
        throw new UserError(
          `External weights file not found: ${file} (needed by tensor ${tensor.name}).`,
        );
      }
      files.set(file, bytes);
    }
    const offset = Number(info.get("offset") ?? 0);
    const length = info.has("length") ? Number(info.get("length")) : bytes.length - offset;
    tensor.rawData = bytes.subarray(offset, offset + length);
    tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    tensor.externalData = [];
  }
}
