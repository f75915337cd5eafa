import { tf } from "./backend.js";
import { linear, linearTransposed } from "./linear.js";
import { Parameters } from "./parameters.js";
import type { Random } from "../core/rng.js";

/** Hidden widths that halve from the input size down to one output: 300 -> 150, 75, ..., 2, 1. */
export function halvingWidths(inputDim: number): number[] {
  const widths: number[] = [];
  for (let d = inputDim; d > 1; ) {
    d = Math.floor(d / 2);
    widths.push(d);
  }
  return widths.length > 0 ? widths : [1];
}

/**
 * A scalar critic T(x): linear layers of the given widths (the last must be 1) with LeakyReLU
 * between them. Besides its output it returns dT/dx as ordinary tensor operations, so that a
 * gradient penalty on dT/dx can itself be differentiated with first-order autodiff.
 */
export class MlpCritic {
  readonly parameters = new Parameters();
  readonly depth: number;

  constructor(
    readonly inputDim: number,
    widths: number[],
    readonly slope: number,
    random: Random,
    readonly prefix = "critic",
  ) {
    if (widths[widths.length - 1] !== 1) throw new Error("A critic's last width must be 1.");
    let previous = inputDim;
    widths.forEach((width, layer) => {
      this.parameters.glorot(`${prefix}${layer}`, [previous, width], previous, width, random);
      this.parameters.zeros(`${prefix}${layer}Bias`, [width]);
      previous = width;
    });
    this.depth = widths.length;
  }

  /** Returns T(x) as `[n]`. */
  apply(x: tf.Tensor2D): tf.Tensor1D {
    return this.forward(x).output;
  }

  /**
   * Returns T(x) `[n]` and dT/dx `[n, inputDim]`. The LeakyReLU derivative is piecewise
   * constant, so it enters as the factor (1 + s) / 2 + (1 - s) / 2 * sign(z), whose own
   * gradient is zero: differentiating the result matches second-order autodiff almost everywhere.
   */
  withInputGradient(x: tf.Tensor2D): { output: tf.Tensor1D; inputGradient: tf.Tensor2D } {
    const { output, preActivations } = this.forward(x);
    const n = x.shape[0];
    let gradient: tf.Tensor2D = tf.tile(
      tf.transpose(this.weight(this.depth - 1)),
      [n, 1],
    ) as tf.Tensor2D;
    for (let layer = this.depth - 2; layer >= 0; layer--) {
      const derivative = tf.add(
        (1 + this.slope) / 2,
        tf.mul((1 - this.slope) / 2, tf.sign(preActivations[layer])),
      );
      gradient = linearTransposed(tf.mul(gradient, derivative), this.weight(layer));
    }
    return { output, inputGradient: gradient };
  }

  private forward(x: tf.Tensor2D): { output: tf.Tensor1D; preActivations: tf.Tensor2D[] } {
    const preActivations: tf.Tensor2D[] = [];
    let hidden = x;
    for (let layer = 0; layer < this.depth; layer++) {
      const z = tf.add(linear(hidden, this.weight(layer)), this.bias(layer)) as tf.Tensor2D;
      if (layer === this.depth - 1) return { output: tf.reshape(z, [-1]), preActivations };
      preActivations.push(z);
      hidden = tf.leakyRelu(z, this.slope);
    }
    throw new Error("A critic needs at least one layer.");
  }

  private weight(layer: number): tf.Tensor2D {
    return this.parameters.get(`${this.prefix}${layer}`) as tf.Tensor2D;
  }

  private bias(layer: number): tf.Tensor {
    return this.parameters.get(`${this.prefix}${layer}Bias`);
  }
}
