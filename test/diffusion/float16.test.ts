import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromHalfBits, toHalfBits } from "../../src/diffusion/float16.js";

describe("float16 conversion", () => {
  it("known bit patterns", () => {
    // IEEE 754 binary16: 1 = 0x3c00, -2 = 0xc000, 65504 = 0x7bff (max), 2^-24 = 0x0001
    // (smallest subnormal), 1/3 = 0x3555 (rounded to nearest).
    const table: Array<[number, number]> = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [2 ** -24, 0x0001],
      [1 / 3, 0x3555],
      [0, 0],
    ];
    for (const [value, bits] of table) assert.equal(toHalfBits(value), bits, `${value}`);
    assert.equal(fromHalfBits(0x3555), 0.333251953125);
  });

  it("overflow, infinity and NaN", () => {
    assert.equal(toHalfBits(70000), 0x7c00);
    assert.equal(toHalfBits(-Infinity), 0xfc00);
    assert.ok(Number.isNaN(fromHalfBits(toHalfBits(NaN))));
  });

  it("ties round to even", () => {
    // 1 + 2^-11 lies halfway between 1 (0x3c00) and 1 + 2^-10 (0x3c01): even mantissa wins.
    assert.equal(toHalfBits(1 + 2 ** -11), 0x3c00);
    assert.equal(toHalfBits(1 + 3 * 2 ** -11), 0x3c02);
  });

  it("round trips every half value", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >> 10) & 0x1f;
      if (exponent === 0x1f && (bits & 0x3ff) !== 0) continue;
      assert.equal(toHalfBits(fromHalfBits(bits)), bits);
    }
  });
});
