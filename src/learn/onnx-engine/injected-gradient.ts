import { tf } from "../backend.js";

/** A scalar and its gradient with respect to some `[n, d]` input, computed outside TF.js. */
export interface ExternalTerm {
  value: number;
  gradient: Float32Array;
}

/**
 * Returns `term.value` as a TF.js scalar whose gradient with respect to `x` is `term.gradient`
 * (times the upstream gradient). The model step uses it to put a critic's distance estimate,
 * differentiated in ONNX Runtime, into a TF.js loss, so the backbone still trains in TF.js.
 * The caller must compute `term` at the current value of `x`.
 */
export function injectGradient(x: tf.Tensor2D, term: ExternalTerm): tf.Scalar {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor2D;
    const gradFunc = (dy: tf.Tensor): tf.Tensor[] => [
      tf.mul(dy, tf.tensor2d(term.gradient, input.shape)),
    ];
    return { value: tf.scalar(term.value), gradFunc };
  });
  return op(x) as tf.Scalar;
}
