import { tf } from "./backend.js";

/**
 * Computes x · w for 2-D tensors with a hand-written gradient. The wasm backend of TensorFlow.js
 * 4.22 runs matrix products with a transposed operand 14 to 35 times slower than plain ones
 * (measured on [64, 2158] x [2158, 1079], see docs/learn.md), and the built-in gradient of
 * matMul uses exactly those. Here both gradients transpose explicitly and multiply plainly:
 * dx = dy · transpose(w) and dw = transpose(x) · dy.
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, weight, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([input, weight]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [savedInput, savedWeight] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dx = tf.matMul(dy as tf.Tensor2D, tf.transpose(savedWeight));
      const dw = tf.matMul(tf.transpose(savedInput), dy as tf.Tensor2D);
      return [dx, dw];
    };
    return { value: tf.matMul(input, weight), gradFunc };
  });
  return op(x, w) as tf.Tensor2D;
}

/**
 * Computes x · transpose(w) with gradients that need no transposed product: dx = dy · w and
 * dw = transpose(dy) · x. The critic's input-gradient chain multiplies by transposed weights,
 * and this form transposes only the small `[n, out]` factor in the backward pass.
 */
export function linearTransposed(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, weight, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([input, weight]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [savedInput, savedWeight] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dx = tf.matMul(dy as tf.Tensor2D, savedWeight);
      const dw = tf.matMul(tf.transpose(dy as tf.Tensor2D), savedInput);
      return [dx, dw];
    };
    return { value: tf.matMul(input, tf.transpose(weight)), gradFunc };
  });
  return op(x, w) as tf.Tensor2D;
}
