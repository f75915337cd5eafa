import { gunzipSync } from "node:zlib";

/** An IDX array (the MNIST file format): its dimensions and unsigned byte values. */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/**
 * Parses an IDX file of unsigned bytes, gzip-compressed or not: two zero bytes, the type code
 * 0x08 (ubyte), the number of dimensions, one big-endian uint32 per dimension, then the values.
 */
export function parseIdx(bytes: Uint8Array, file = "<idx>"): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.length < 4 || view.getUint16(0) !== 0 || raw[2] !== 0x08) {
    throw new Error(`${file} is not an IDX file of unsigned bytes.`);
  }
  const dimensions = raw[3];
  const shape: number[] = [];
  for (let i = 0; i < dimensions; i++) shape.push(view.getUint32(4 + i * 4));
  const offset = 4 + dimensions * 4;
  const count = shape.reduce((product, size) => product * size, 1);
  if (raw.length - offset !== count) {
    throw new Error(
      `${file} holds ${raw.length - offset} values but its shape [${shape}] needs ${count}.`,
    );
  }
  return { shape, data: raw.subarray(offset) };
}
