import { test } from "node:test";
import assert from "node:assert/strict";
import { fromHfProcessor } from "../../src/evaluate/hf-preprocess.js";
import { planResize, preprocessImage } from "../../src/evaluate/preprocess.js";
import { parsePreprocess, presetConfig, resizedShortSide } from "../../src/evaluate/preprocess-config.js";
import { resizePil } from "../../src/evaluate/resample.js";
import type { RgbImage } from "../../src/images/decode.js";

function flat(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { data, width, height };
}

function checkerboard(size: number): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) data.fill((x + y) % 2 === 0 ? 0 : 255, (y * size + x) * 3, (y * size + x) * 3 + 3);
  }
  return { data, width: size, height: size };
}

test("flat image normalises to known numbers", () => {
  // (128 / 255 - mean) / std per channel with the ImageNet mean and std:
  // R (0.501961 - 0.485) / 0.229 = 0.074065, G (0.501961 - 0.456) / 0.224 = 0.205182,
  // B (0.501961 - 0.406) / 0.225 = 0.426492.
  const tensor = preprocessImage(flat(300, 200, [128, 128, 128]), presetConfig("torchvision"));
  const plane = 224 * 224;
  assert.equal(tensor.length, 3 * plane);
  assert.ok(Math.abs(tensor[0] - 0.074065) < 1e-5, `R ${tensor[0]}`);
  assert.ok(Math.abs(tensor[plane + 100] - 0.205182) < 1e-5, `G ${tensor[plane + 100]}`);
  assert.ok(Math.abs(tensor[2 * plane + 5000] - 0.426492) < 1e-5, `B ${tensor[2 * plane + 5000]}`);
});

test("bgr nhwc layout reorders channels", () => {
  // Pixel (255, 0, 0) with mean 0, std 1 and scale 1/255 gives R = 1, G = 0, B = 0.
  const config = parsePreprocess(
    { inputSize: 4, resizeSize: 4, mean: [0, 0, 0], std: [1, 1, 1], channelOrder: "bgr", layout: "nhwc" },
    "test",
  );
  const tensor = preprocessImage(flat(4, 4, [255, 0, 0]), config);
  assert.deepEqual(Array.from(tensor.subarray(0, 3)), [0, 0, 1]);
});

test("antialiased downsampling averages a checkerboard", () => {
  // A 1-pixel checkerboard averages to 127.5. Downsampling by 8 widens the kernel's reach to 8
  // (bilinear) or 16 (bicubic) input pixels on each side, so interior outputs are grey. Sampling
  // without antialiasing would give 0 or 255.
  for (const interpolation of ["bilinear", "bicubic"] as const) {
    const out = resizePil(checkerboard(64), 8, 8, interpolation);
    for (let y = 1; y < 7; y++) {
      for (let x = 1; x < 7; x++) {
        const value = out.data[(y * 8 + x) * 3];
        assert.ok(Math.abs(value - 127.5) <= 1, `${interpolation} (${x},${y}) = ${value}`);
      }
    }
  }
});

test("bilinear weights match the kernel", () => {
  // Row [0,255,0,255,0,255,0,255] to 2 pixels, scale 4, support 4. Output 0 centres at 2: taps
  // x = 0..5 with weights 1 - |x + 0.5 - 2| / 4 = .625,.875,.875,.625,.375,.125 (sum 3.5); the
  // 255 taps (x = 1,3,5) sum to 1.625, so 255 * 1.625 / 3.5 = 118.4 -> 118. Output 1 centres at
  // 6: taps x = 2..7 with .125,.375,.625,.875,.875,.625; x = 3,5,7 sum to 1.875 -> 136.6 -> 137.
  const row: RgbImage = { data: new Uint8Array(24), width: 8, height: 1 };
  for (let x = 1; x < 8; x += 2) row.data.fill(255, x * 3, x * 3 + 3);
  const out = resizePil(row, 2, 1, "bilinear");
  assert.deepEqual([out.data[0], out.data[3]], [118, 137]);
});

test("resize plans follow the conventions", () => {
  // timm: floor(224 / 0.875) = 256 and floor(224 / 0.9) = 248.88 -> 248.
  assert.equal(resizedShortSide(presetConfig("timm")), 256);
  assert.equal(resizedShortSide(parsePreprocess({ inputSize: 224, cropPct: 0.9 }, "test")), 248);
  // torchvision Resize(256) on 500x375: short side 256, long trunc(256 * 500 / 375) = 341;
  // crop left round((341 - 224) / 2) = round(58.5) = 58 (half to even), top (256 - 224) / 2 = 16.
  const plan = planResize(500, 375, presetConfig("torchvision"));
  assert.deepEqual([plan.width, plan.height, plan.window.left, plan.window.top], [341, 256, 58, 16]);
  // Hugging Face floors the offset: floor(58.5) = 58 too, but 343 -> floor(59.5) = 59 vs round 60.
  const wide = planResize(502, 375, presetConfig("torchvision"));
  assert.equal(wide.width, 342); // trunc(256 * 502 / 375) = trunc(342.7)
  const hf = planResize(503, 375, fromHfProcessor({ size: { shortest_edge: 256 }, crop_size: { height: 224, width: 224 } }, "t"));
  const tv = planResize(503, 375, presetConfig("torchvision"));
  assert.equal(hf.width, 343); // trunc(256 * 503 / 375) = trunc(343.4)
  assert.equal(hf.window.left, 59);
  assert.equal(tv.window.left, 60);
});

test("hugging face configs convert", () => {
  // ViT: size {height, width} resizes straight to 224, bilinear (PIL code 2), mean/std 0.5.
  const vit = fromHfProcessor(
    { size: { height: 224, width: 224 }, resample: 2, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] },
    "vit",
  );
  assert.equal(vit.resizeMode, "exact");
  assert.equal(vit.interpolation, "bilinear");
  // ResNet/ConvNeXt: shortest_edge 224 with crop_pct 0.875 resizes to 256 and crops 224, bicubic.
  const resnet = fromHfProcessor({ size: { shortest_edge: 224 }, crop_pct: 0.875, resample: 3 }, "resnet");
  assert.equal(resizedShortSide(resnet), 256);
  assert.equal(resnet.inputSize, 224);
  assert.equal(resnet.interpolation, "bicubic");
  assert.throws(() => fromHfProcessor({ size: { shortest_edge: 224 }, resample: 1 }, "x"), /resample 1/);
});

test("preprocessing config rejects conflicts", () => {
  assert.throws(() => parsePreprocess({ resizeSize: 256, cropPct: 0.875 }, "x.json"), /either resizeSize or cropPct/);
  assert.throws(() => presetConfig("resnet"), /Unknown preprocessing preset "resnet"/);
});
