import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic.js";

/** A named float32 tensor as stored on disk. */
export interface StoredTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Index entry of one tensor inside a weights file: its element offset and count. */
export interface TensorIndexEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

/** Writes tensors back to back as little-endian float32 to `dir/file`; returns the index. */
export async function writeTensors(
  dir: string,
  file: string,
  tensors: StoredTensor[],
): Promise<TensorIndexEntry[]> {
  const total = tensors.reduce((sum, tensor) => sum + tensor.values.length, 0);
  const buffer = new Float32Array(total);
  const index: TensorIndexEntry[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    buffer.set(tensor.values, offset);
    index.push({ name: tensor.name, shape: tensor.shape, offset, length: tensor.values.length });
    offset += tensor.values.length;
  }
  await writeFileAtomic(join(dir, file), new Uint8Array(buffer.buffer));
  return index;
}

/** Reads tensors written by `writeTensors`, checking that the file is as long as its index requires. */
export async function readTensors(
  dir: string,
  file: string,
  index: TensorIndexEntry[],
): Promise<StoredTensor[]> {
  const path = join(dir, file);
  const bytes = await readFile(path);
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const needed = index.reduce((end, entry) => Math.max(end, entry.offset + entry.length), 0);
  if (values.length < needed) {
    throw new Error(
      `${path} is truncated: it contains ${values.length} values but its index needs ${needed}. ` +
        `Retrain or restore the file.`,
    );
  }
  return index.map((entry) => ({
    name: entry.name,
    shape: entry.shape,
    values: values.slice(entry.offset, entry.offset + entry.length),
  }));
}
