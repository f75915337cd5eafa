import { crc32, deflateSync } from "node:zlib";

/**
 * Writes a PNG from raw scanlines by hand (filter type 0 on every row), so decoder tests can
 * build inputs that sharp itself does not write, such as 16-bit grey.
 * colourType: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA (PNG specification, IHDR).
 */
export function pngBytes(o: {
  width: number;
  height: number;
  bitDepth: 8 | 16;
  colourType: 0 | 2 | 3 | 4 | 6;
  /** Samples in row-major order, big-endian for 16-bit. */
  samples: Uint8Array;
  /** RGB triples for colour type 3. */
  palette?: Uint8Array;
}): Buffer {
  const rowBytes = o.samples.length / o.height;
  const scanlines = Buffer.alloc((rowBytes + 1) * o.height);
  for (let y = 0; y < o.height; y++) {
    scanlines.set(o.samples.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(o.width, 0);
  header.writeUInt32BE(o.height, 4);
  header.set([o.bitDepth, o.colourType, 0, 0, 0], 8);
  const chunks = [chunk("IHDR", header)];
  if (o.palette !== undefined) chunks.push(chunk("PLTE", Buffer.from(o.palette)));
  chunks.push(chunk("IDAT", deflateSync(scanlines)), chunk("IEND", Buffer.alloc(0)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);
}

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(body.length + 12);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, "latin1");
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}
