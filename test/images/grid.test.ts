import assert from "node:assert/strict";
import { test } from "node:test";
import { makeGrid } from "../../src/images/grid.js";

function flat(size: number, value: number) {
  return { data: new Uint8Array(size * size * 3).fill(value), width: size, height: size };
}

test("makeGrid matches make_grid layout", () => {
  // torchvision make_grid(nrow=2, padding=2) of two 3x512x512 images: width 2 x (512 + 2) + 2
  // = 1030, height 512 + 2 + 2 = 516, image k at x = k x 514 + 2 and y = 2, pad value 0.
  const grid = makeGrid([flat(512, 100), flat(512, 200)], 2, 2);
  assert.equal(grid.width, 1030);
  assert.equal(grid.height, 516);
  const at = (x: number, y: number) => grid.data[(y * grid.width + x) * 3];
  for (const y of [0, 1, 514, 515]) assert.equal(at(300, y), 0, `border row ${y}`);
  for (const x of [0, 1, 514, 515, 1028, 1029]) assert.equal(at(x, 200), 0, `border column ${x}`);
  assert.equal(at(2, 2), 100);
  assert.equal(at(513, 513), 100);
  assert.equal(at(516, 2), 200);
  assert.equal(at(1027, 513), 200);
  let guidePixels = 0;
  let resultPixels = 0;
  for (let i = 0; i < grid.data.length; i += 3) {
    if (grid.data[i] === 100) guidePixels += 1;
    if (grid.data[i] === 200) resultPixels += 1;
  }
  assert.equal(guidePixels, 512 * 512);
  assert.equal(resultPixels, 512 * 512);
});

test("makeGrid wraps after nrow", () => {
  // Three 4x4 images with nrow 2: two rows of (4 + 2) + 2 = 14 by 2 x 6 + 2 = 14.
  const grid = makeGrid([flat(4, 1), flat(4, 2), flat(4, 3)], 2, 2);
  assert.equal(grid.width, 14);
  assert.equal(grid.height, 14);
  assert.equal(grid.data[(8 * 14 + 2) * 3], 3);
  assert.equal(grid.data[(8 * 14 + 8) * 3], 0);
});
