import { Random } from "../core/rng.js";
import { initTensorflow, tf } from "./backend.js";
import { MlpCritic } from "./critic.js";

/** Scalars of one MINE evaluation. */
export interface MineTerms {
  /** Surrogate the critic minimises; its gradient is the bias-corrected gradient of -bound. */
  loss: tf.Scalar;
  /** Donsker-Varadhan lower bound mean T(joint) - log mean exp T(shuffled), in nats. */
  bound: tf.Scalar;
  /** The moving average of mean exp T(shuffled) after this batch. */
  average: number;
}

/**
 * Evaluates MINE (Belghazi et al. 2018) on joint and shuffled pairs. The gradient of
 * log mean exp T is biased on a mini-batch, so the surrogate divides mean exp T by a moving
 * average of it, held constant. `average` is the previous average (undefined on the first
 * batch) and `rate` is its update rate.
 */
export function mineTerms(
  critic: MlpCritic,
  joint: tf.Tensor2D,
  shuffled: tf.Tensor2D,
  average: number | undefined,
  rate: number,
): MineTerms {
  const jointMean = tf.mean(critic.apply(joint));
  const shuffledScores = critic.apply(shuffled);
  const n = shuffledScores.shape[0];
  const logMeanExp = tf.sub(tf.logSumExp(shuffledScores), Math.log(n));
  const bound = tf.sub(jointMean, logMeanExp) as tf.Scalar;
  const meanExp = tf.exp(logMeanExp);
  const current = meanExp.dataSync()[0];
  const updated = average === undefined ? current : (1 - rate) * average + rate * current;
  const loss = tf.neg(tf.sub(jointMean, tf.div(meanExp, updated))) as tf.Scalar;
  return { loss, bound, average: updated };
}

/** Options of `estimateMutualInformation`. */
export interface MineEstimateOptions {
  /** Critic widths after the input; the last must be 1. Default [64, 32, 1]. */
  widths?: number[];
  /** Training steps. Default 2000. */
  steps?: number;
  /** Pairs per step. Default 256. */
  batchSize?: number;
  /** Adam learning rate. Default 0.001. */
  learningRate?: number;
  /** Update rate of the moving average. Default 0.01. */
  averageRate?: number;
  /** Seed of weights, batches and shuffles. Default 0. */
  seed?: number;
}

/**
 * Estimates I(X; Y) in nats from `n` paired samples with MINE: a critic is trained on the first
 * half of the pairs, and the Donsker-Varadhan bound is evaluated on the second half against a
 * shuffled copy of its Y rows.
 */
export async function estimateMutualInformation(
  x: Float32Array,
  y: Float32Array,
  n: number,
  options: MineEstimateOptions = {},
): Promise<number> {
  await initTensorflow();
  const dx = x.length / n;
  const dy = y.length / n;
  const steps = options.steps ?? 2000;
  const batchSize = options.batchSize ?? 256;
  const rate = options.averageRate ?? 0.01;
  const random = new Random(`${options.seed ?? 0}:mine`);
  const critic = new MlpCritic(dx + dy, options.widths ?? [64, 32, 1], 0.1, random, "mine");
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const trainCount = Math.floor(n / 2);
  let average: number | undefined;
  // 1. Train the critic on random batches of the first half.
  for (let step = 0; step < steps; step++) {
    const rows = Array.from({ length: batchSize }, () => random.int(trainCount));
    const shuffledRows = random.shuffle([...rows]);
    const { grads } = tf.variableGrads(() => {
      const joint = pairTensor(x, y, dx, dy, rows, rows);
      const shuffled = pairTensor(x, y, dx, dy, rows, shuffledRows);
      const terms = mineTerms(critic, joint, shuffled, average, rate);
      average = terms.average;
      return terms.loss;
    }, critic.parameters.list());
    optimizer.applyGradients(grads as unknown as Record<string, tf.Variable>);
    tf.dispose(Object.values(grads));
  }
  // 2. Evaluate the bound on the held-out half.
  const heldOut = Array.from({ length: n - trainCount }, (_, i) => trainCount + i);
  const estimate = tf.tidy(() => {
    const joint = pairTensor(x, y, dx, dy, heldOut, heldOut);
    const shuffled = pairTensor(x, y, dx, dy, heldOut, random.shuffle([...heldOut]));
    return mineTerms(critic, joint, shuffled, undefined, 1).bound.dataSync()[0];
  });
  critic.parameters.dispose();
  optimizer.dispose();
  return estimate;
}

function pairTensor(
  x: Float32Array,
  y: Float32Array,
  dx: number,
  dy: number,
  xRows: number[],
  yRows: number[],
): tf.Tensor2D {
  const width = dx + dy;
  const values = new Float32Array(xRows.length * width);
  xRows.forEach((row, i) => {
    values.set(x.subarray(row * dx, (row + 1) * dx), i * width);
    values.set(y.subarray(yRows[i] * dy, (yRows[i] + 1) * dy), i * width + dx);
  });
  return tf.tensor2d(values, [xRows.length, width]);
}
