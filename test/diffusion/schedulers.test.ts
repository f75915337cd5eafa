// Expected values come from the published formulas for the SD 1.x config (1000 train steps,
// betas linear in sqrt from 0.00085 to 0.012, steps_offset 1), recomputed here in float64 by
// sd1AlphasCumprod, independently of src/diffusion/schedulers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  alphasCumprod,
  DdimScheduler,
  EulerAncestralScheduler,
  parseSchedulerConfig,
  PndmScheduler,
  spacedTimesteps,
} from "../../src/diffusion/schedulers/index.js";
import { SD1_SCHEDULER_CONFIG } from "../../src/diffusion/tiny.js";
import { sd1AlphasCumprod } from "./oracle-model.js";

const config = parseSchedulerConfig(SD1_SCHEDULER_CONFIG, "sd1");
const abar = sd1AlphasCumprod();
const close = (actual: number, expected: number, tolerance = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} vs ${expected}`);

describe("SD 1.x noise schedule", () => {
  it("alphas cumprod match formula", () => {
    const actual = alphasCumprod(config);
    // abar_0 = 1 - beta_0 = 1 - 0.00085 exactly; abar_999 = 1 / (1 + 14.6146^2) = 0.0046.
    close(actual[0], 1 - 0.00085, 1e-15);
    close(actual[999], abar[999], 1e-15);
    close(actual[999], 1 / (1 + 14.6146 ** 2), 1e-7);
    close(actual[500], abar[500], 1e-15);
  });

  it("timestep spacings", () => {
    // leading: i * floor(1000 / 10) + 1; linspace: round(i * 999 / 9); trailing: round(1000 - i * 100) - 1.
    assert.deepEqual(
      spacedTimesteps(config, 10, "leading"),
      [901, 801, 701, 601, 501, 401, 301, 201, 101, 1],
    );
    assert.deepEqual(
      spacedTimesteps(config, 10, "linspace"),
      [999, 888, 777, 666, 555, 444, 333, 222, 111, 0],
    );
    assert.deepEqual(
      spacedTimesteps(config, 10, "trailing"),
      [999, 899, 799, 699, 599, 499, 399, 299, 199, 99],
    );
    // linspace with 3 steps hits 499.5, which numpy rounds half to even: 500.
    assert.deepEqual(spacedTimesteps(config, 3, "linspace"), [999, 500, 0]);
  });
});

describe("DDIM", () => {
  it("50 steps schedule and coefficients", () => {
    const ddim = new DdimScheduler(config, 50);
    assert.equal(ddim.timesteps.length, 50);
    assert.equal(ddim.timesteps[0], 981);
    assert.equal(ddim.timesteps[49], 1);
    // Step from 981 to 961 (ratio 20); after t = 1 comes abar_0 (set_alpha_to_one false).
    const first = ddim.coefficients(0);
    close(first.alphaBar, abar[981], 1e-15);
    close(first.alphaBarPrev, abar[961], 1e-15);
    close(ddim.coefficients(49).alphaBarPrev, abar[0], 1e-15);
  });

  it("step applies eq. 12 with eta 0", () => {
    // x_prev = sqrt(abar_961) x0 + sqrt(1 - abar_961) eps, x0 = (x - sqrt(1 - abar_981) eps) / sqrt(abar_981).
    const ddim = new DdimScheduler(config, 50);
    const x = Float32Array.of(0.5, -1.25);
    const eps = Float32Array.of(0.3, 0.9);
    const out = ddim.step(eps, 0, x, () => new Float32Array(2));
    for (let i = 0; i < 2; i++) {
      const x0 = (x[i] - Math.sqrt(1 - abar[981]) * eps[i]) / Math.sqrt(abar[981]);
      close(out[i], Math.sqrt(abar[961]) * x0 + Math.sqrt(1 - abar[961]) * eps[i], 1e-6);
    }
  });

  it("img2img start follows diffusers", () => {
    // t_start = steps - min(floor(steps * strength), steps): 50 * 0.9 = 45 -> start 5.
    const ddim = new DdimScheduler(config, 50);
    assert.equal(ddim.startImg2img(0.9), 5);
    assert.equal(ddim.startImg2img(1), 0);
    assert.equal(ddim.startImg2img(0.01), 50);
  });

  it("v prediction recovers x0", () => {
    // v = sqrt(abar) eps - sqrt(1 - abar) x0 for known x0 and eps; the step must equal the
    // epsilon step fed the same eps.
    const v = parseSchedulerConfig(
      { ...SD1_SCHEDULER_CONFIG, prediction_type: "v_prediction" },
      "v",
    );
    const a = abar[981];
    const x0 = 0.4;
    const eps = -0.7;
    const x = Math.sqrt(a) * x0 + Math.sqrt(1 - a) * eps;
    const velocity = Math.sqrt(a) * eps - Math.sqrt(1 - a) * x0;
    const fromV = new DdimScheduler(v, 50).step(
      Float32Array.of(velocity),
      0,
      Float32Array.of(x),
      () => new Float32Array(1),
    );
    const fromEps = new DdimScheduler(config, 50).step(
      Float32Array.of(eps),
      0,
      Float32Array.of(x),
      () => new Float32Array(1),
    );
    close(fromV[0], fromEps[0], 1e-6);
  });
});

describe("PNDM", () => {
  it("PLMS schedule with repeated step", () => {
    const pndm = new PndmScheduler(config, 5);
    assert.deepEqual(pndm.timesteps, [801, 601, 601, 401, 201, 1]);
  });

  it("img2img restarts the warm-up", () => {
    // 10 steps, strength 0.5: the remaining leading timesteps are 401..1, and PLMS repeats 301.
    const pndm = new PndmScheduler(config, 10);
    assert.equal(pndm.startImg2img(0.5), 0);
    assert.deepEqual(pndm.timesteps, [401, 301, 301, 201, 101, 1]);
    assert.equal(new PndmScheduler(config, 10).startImg2img(0.05), 11);
  });

  it("constant eps keeps DDIM path", () => {
    // Every PLMS combination has weights summing to 1 and PNDM's transfer equals a DDIM step,
    // so a constant eps must give the DDIM results at each step.
    const pndm = new PndmScheduler(config, 5);
    const ddim = new DdimScheduler(config, 5);
    const eps = Float32Array.of(0.25);
    let p: Float32Array = Float32Array.of(1.5);
    let d: Float32Array = Float32Array.of(1.5);
    const calls = pndm.timesteps.length;
    for (let i = 0; i < calls; i++) p = pndm.step(eps, i, p);
    for (let i = 0; i < 5; i++) d = ddim.step(eps, i, d, () => new Float32Array(1));
    close(p[0], d[0], 1e-5);
  });
});

describe("Euler ancestral", () => {
  it("sigmas and final zero", () => {
    const euler = new EulerAncestralScheduler(config, 10);
    assert.equal(euler.sigmas.length, 11);
    assert.equal(euler.sigmas[10], 0);
    close(euler.sigmas[0], Math.sqrt((1 - abar[999]) / abar[999]), 1e-12);
    // t = 888 exactly (999 * 8 / 9).
    close(euler.sigmas[1], Math.sqrt((1 - abar[888]) / abar[888]), 1e-9);
  });

  it("ancestral step splits sigma", () => {
    // sigma_up = sqrt(s1^2 (s0^2 - s1^2) / s0^2), sigma_down = sqrt(s1^2 - sigma_up^2); with a
    // zero model output x0 = x, so x_prev = x + sigma_up z.
    const euler = new EulerAncestralScheduler(config, 10);
    const [s0, s1] = euler.sigmas;
    const up = Math.sqrt((s1 ** 2 * (s0 ** 2 - s1 ** 2)) / s0 ** 2);
    const out = euler.step(Float32Array.of(0), 0, Float32Array.of(2), () => Float32Array.of(1));
    close(out[0], 2 + up, 1e-5);
    // A pure-noise prediction eps = x / sigma gives x0 = 0, so x_prev = sigma_down eps + up z.
    const down = Math.sqrt(s1 ** 2 - up ** 2);
    const pure = euler.step(Float32Array.of(1), 0, Float32Array.of(s0), () => Float32Array.of(0));
    close(pure[0], down, 1e-5);
  });
});
