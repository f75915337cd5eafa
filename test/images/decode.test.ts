import assert from "node:assert/strict";
import { test } from "node:test";
import sharp from "sharp";
import { squareResize } from "../../src/generate/guide.js";
import { ImageDecodeError, decodeImage, decodeMask, decodePhoto } from "../../src/images/decode.js";
import { orientPixels } from "../../src/images/orientation.js";
import { temporaryFolder } from "../support/temporary.js";
import { pngBytes } from "./png-bytes.js";

// A 2x2 pure-white CMYK JPEG with an Adobe APP14 marker and inverted samples (transform 0),
// written by PIL 9.4: Image.new("CMYK", (2, 2), (0, 0, 0, 0)).save(f, "JPEG", quality=100).
const ADOBE_CMYK_WHITE = Buffer.from(
  "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwABAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB" +
    "AQEBAQEBAQEBAQEB/8AAFAgAAgACBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIB" +
    "AwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZH" +
    "SElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV" +
    "1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD+/iv7+K/v4r+/iv/Z",
  "base64",
);

// A 3x2 grey image with six distinct levels; rows are [10 100 200] and [50 150 250].
const LEVELS = [10, 100, 200, 50, 150, 250];
const storedRgb = Uint8Array.from(LEVELS.flatMap((level) => [level, level, level]));

function raw(data: Uint8Array, width: number, height: number, channels = 3) {
  return sharp(Buffer.from(data), { raw: { width, height, channels: channels as 1 | 3 } });
}

test("EXIF orientation 6 rotates 3x2", async () => {
  const jpeg = await raw(storedRgb, 3, 2)
    .jpeg({ quality: 100, chromaSubsampling: "4:4:4" })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const { image, orientation } = await decodePhoto(jpeg);
  assert.equal(orientation, 6);
  assert.equal(image.width, 2);
  assert.equal(image.height, 3);
  // Orientation 6 turns the stored image 90 degrees clockwise: the stored bottom-left pixel
  // (level 50) moves to the top-left. JPEG rounding may move a level by a few steps.
  assert.ok(Math.abs(image.data[0] - 50) <= 3, `top-left is ${image.data[0]}`);
});

test("orientPixels matches libvips for 1-8", async () => {
  for (let orientation = 1; orientation <= 8; orientation++) {
    // PNG keeps the levels exact, and libvips reads its EXIF orientation.
    const png = await raw(storedRgb, 3, 2).png().withMetadata({ orientation }).toBuffer();
    const decoded = await decodeImage(png);
    const expected = orientPixels(
      { data: storedRgb, width: 3, height: 2, channels: 3 },
      orientation,
    );
    assert.equal(decoded.width, expected.width, `width for orientation ${orientation}`);
    assert.deepEqual(decoded.data, expected.data, `pixels for orientation ${orientation}`);
  }
});

test("mask rotates with its photo", async () => {
  const mask = pngBytes({
    width: 3,
    height: 2,
    bitDepth: 8,
    colourType: 0,
    samples: Uint8Array.from(LEVELS),
  });
  const rotated = await decodeMask(mask, { width: 2, height: 3, orientation: 6 });
  // Displayed 2x3 grid for orientation 6: rows [50 10], [150 100], [250 200].
  assert.deepEqual(Array.from(rotated), [50, 10, 150, 100, 250, 200]);
});

test("mask already displayed stays", async () => {
  const displayed = [50, 10, 150, 100, 250, 200];
  const mask = pngBytes({
    width: 2,
    height: 3,
    bitDepth: 8,
    colourType: 0,
    samples: Uint8Array.from(displayed),
  });
  const result = await decodeMask(mask, { width: 2, height: 3, orientation: 6 });
  assert.deepEqual(Array.from(result), displayed);
});

test("Adobe CMYK white decodes white", async () => {
  const image = await decodeImage(ADOBE_CMYK_WHITE);
  assert.equal(image.width, 2);
  assert.equal(image.data.length, 2 * 2 * 3);
  for (const value of image.data) assert.ok(value >= 250, `channel value ${value}`);
});

test("PNG named JPEG detected", async () => {
  const { writeFile } = await import("node:fs/promises");
  const { join } = await import("node:path");
  const folder = await temporaryFolder("d3s-decode-");
  const path = join(folder, "x.JPEG");
  const rgba = pngBytes({
    width: 2,
    height: 2,
    bitDepth: 8,
    colourType: 6,
    samples: Uint8Array.from([0, 200, 0, 255, 0, 200, 0, 255, 0, 200, 0, 255, 0, 200, 0, 0]),
  });
  await writeFile(path, rgba);
  const image = await decodeImage(path);
  assert.deepEqual(Array.from(image.data.subarray(0, 3)), [0, 200, 0]);
  // The transparent last pixel flattens over white.
  assert.deepEqual(Array.from(image.data.subarray(9, 12)), [255, 255, 255]);
});

test("grey JPEG decodes to RGB", async () => {
  const grey = await raw(Uint8Array.from(LEVELS), 3, 2, 1)
    .toColourspace("b-w")
    .jpeg({ quality: 100 })
    .toBuffer();
  assert.equal((await sharp(grey).metadata()).channels, 1);
  const image = await decodeImage(grey);
  assert.equal(image.data.length, 3 * 2 * 3);
  assert.equal(image.data[0], image.data[1]);
  assert.equal(image.data[0], image.data[2]);
});

test("every odd input resizes to RGB", async () => {
  const inputs = [
    ADOBE_CMYK_WHITE,
    pngBytes({
      width: 1,
      height: 1,
      bitDepth: 16,
      colourType: 0,
      samples: Uint8Array.from([128, 0]),
    }),
    pngBytes({
      width: 2,
      height: 1,
      bitDepth: 8,
      colourType: 3,
      samples: Uint8Array.from([1, 0]),
      palette: Uint8Array.from([1, 2, 3, 40, 50, 60]),
    }),
    await raw(Uint8Array.from(LEVELS), 3, 2, 1).toColourspace("b-w").jpeg().toBuffer(),
  ];
  for (const [i, bytes] of inputs.entries()) {
    const square = await squareResize(await decodeImage(bytes), 8);
    assert.equal(square.data.length, 8 * 8 * 3, `input ${i}`);
  }
});

test("RGBA flattens over white", async () => {
  const png = pngBytes({
    width: 2,
    height: 1,
    bitDepth: 8,
    colourType: 6,
    samples: Uint8Array.from([255, 0, 0, 0, 0, 0, 255, 255]),
  });
  const image = await decodeImage(png);
  // Pixel 0 is fully transparent red: white shows through. Pixel 1 is opaque blue.
  assert.deepEqual(Array.from(image.data), [255, 255, 255, 0, 0, 255]);
});

test("16-bit grey scales to 8 bits", async () => {
  // 32768 / 65535 * 255 = 127.5, which rounds to 128 (and 32768 >> 8 = 128).
  const png = pngBytes({
    width: 1,
    height: 1,
    bitDepth: 16,
    colourType: 0,
    samples: Uint8Array.from([0x80, 0]),
  });
  const image = await decodeImage(png);
  assert.deepEqual(Array.from(image.data), [128, 128, 128]);
});

test("palette PNG decodes its colours", async () => {
  const png = pngBytes({
    width: 2,
    height: 1,
    bitDepth: 8,
    colourType: 3,
    samples: Uint8Array.from([1, 0]),
    palette: Uint8Array.from([1, 2, 3, 40, 50, 60]),
  });
  assert.deepEqual(Array.from((await decodeImage(png)).data), [40, 50, 60, 1, 2, 3]);
});

test("truncated and non-image files reject", async () => {
  const jpeg = await sharp({
    create: { width: 64, height: 64, channels: 3, background: "#123456" },
  })
    .jpeg()
    .toBuffer();
  await assert.rejects(decodeImage(jpeg.subarray(0, jpeg.length >> 1)), ImageDecodeError);
  await assert.rejects(decodeImage(Buffer.from("not an image at all")), /unsupported image format/);
});
