import type { RgbImage } from "../../images/decode.js";

/** A GIMP pattern (`.pat`): its stored name and pixels flattened to RGB. */
export interface GimpPattern {
  name: string;
  image: RgbImage;
}

const MAGIC = "GPAT";

/**
 * Parses a GIMP pattern file (format version 1): a big-endian header of header size, version,
 * width, height and bytes per pixel (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA), the magic "GPAT",
 * a NUL-terminated UTF-8 name, then the pixels row by row. Grey becomes RGB and alpha is dropped
 * (the mini dataset's patterns are opaque).
 */
export function parseGimpPattern(bytes: Uint8Array, file = "<pattern>"): GimpPattern {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24)
    throw new Error(`${file} is not a GIMP pattern: only ${bytes.length} bytes.`);
  const headerSize = view.getUint32(0);
  const width = view.getUint32(8);
  const height = view.getUint32(12);
  const depth = view.getUint32(16);
  const magic = new TextDecoder().decode(bytes.subarray(20, 24));
  if (magic !== MAGIC || depth < 1 || depth > 4 || headerSize < 24) {
    throw new Error(`${file} is not a GIMP pattern: magic "${magic}", ${depth} bytes per pixel.`);
  }
  const pixels = bytes.subarray(headerSize, headerSize + width * height * depth);
  if (pixels.length !== width * height * depth) {
    throw new Error(
      `${file} is truncated: ${pixels.length} of ${width * height * depth} pixel bytes.`,
    );
  }
  const name = new TextDecoder().decode(bytes.subarray(24, headerSize)).replace(/\0+$/, "");
  const data = new Uint8Array(width * height * 3);
  const colour = depth >= 3;
  for (let i = 0; i < width * height; i++) {
    for (let channel = 0; channel < 3; channel++) {
      data[i * 3 + channel] = pixels[i * depth + (colour ? channel : 0)];
    }
  }
  return { name, image: { data, width, height } };
}
