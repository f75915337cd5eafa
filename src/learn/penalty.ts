import { tf } from "./backend.js";
import { MlpCritic, halvingWidths } from "./critic.js";
import { mineTerms } from "./mine.js";
import { wassersteinCriticTerms, wassersteinDistance } from "./wasserstein.js";
import type { Random } from "../core/rng.js";
import { TFJS_ADAM_EPSILON } from "./onnx-engine/adam-nodes.js";
import { OnnxCritic } from "./onnx-engine/onnx-critic.js";

/** Settings shared by the two penalty terms. */
export interface PenaltySettings {
  kind: "wasserstein" | "mine";
  labelEmbeddingRatio: number;
  leakySlope: number;
  gradientPenaltyWeight: number;
  mineAverageRate: number;
  criticLearningRate: number;
  adamBetas: [number, number];
  /** Engine of the critic updates; default `tfjs`. `onnx` needs kind `wasserstein`. */
  engine?: "tfjs" | "onnx";
}

/** Random draws of one critic evaluation: a label permutation and one ε per example. */
export interface PairDraws {
  permutation: Int32Array;
  epsilon: Float32Array;
}

/** One critic update's batch: detached features `[n, featureDim]`, labels and draws. */
export interface CriticInput {
  features: tf.Tensor2D;
  labels: Int32Array;
  draws: PairDraws;
}

/** Draws a permutation of `n` and `n` uniform values from `random`. */
export function drawPairs(n: number, random: Random): PairDraws {
  const order = random.shuffle(Array.from({ length: n }, (_, i) => i));
  const epsilon = new Float32Array(n);
  for (let i = 0; i < n; i++) epsilon[i] = random.uniform();
  return { permutation: Int32Array.from(order), epsilon };
}

/**
 * One mutual-information term I(features; labels): a critic on (feature, label embedding)
 * pairs, its Adam optimizer, and the fixed random label embedding. The embedding is a standard
 * normal matrix with one row per class and `labelEmbeddingRatio * featureDim` columns.
 */
export class PenaltyTerm {
  readonly critic: MlpCritic;
  readonly optimizer: tf.AdamOptimizer;
  readonly embeddingDim: number;
  readonly embedding: Float32Array;
  /** The ONNX Runtime critic updates, present when the engine is `onnx`. */
  readonly onnxCritic: OnnxCritic | undefined;
  /** MINE's moving average of mean exp T; undefined before the first critic step. */
  mineAverage: number | undefined;

  constructor(
    readonly name: string,
    featureDim: number,
    numClasses: number,
    readonly settings: PenaltySettings,
    random: Random,
  ) {
    this.embeddingDim = Math.max(1, Math.round(settings.labelEmbeddingRatio * featureDim));
    this.embedding = random.normals(numClasses * this.embeddingDim);
    const inputDim = featureDim + this.embeddingDim;
    this.critic = new MlpCritic(inputDim, halvingWidths(inputDim), settings.leakySlope, random, name);
    const [beta1, beta2] = settings.adamBetas;
    this.optimizer = tf.train.adam(settings.criticLearningRate, beta1, beta2);
    if (settings.engine === "onnx") {
      this.onnxCritic = new OnnxCritic(this.critic, this.optimizer, {
        featureDim,
        embedding: this.embedding,
        embeddingDim: this.embeddingDim,
        slope: settings.leakySlope,
        penaltyWeight: settings.gradientPenaltyWeight,
        adam: { learningRate: settings.criticLearningRate, beta1, beta2, epsilon: TFJS_ADAM_EPSILON },
      });
    }
  }

  /**
   * Runs one critic update per batch, in order, with the term's engine and returns the critic's
   * estimate before each: criticStep on TensorFlow.js, or all the updates as one ONNX Runtime
   * graph (Wasserstein only).
   */
  async criticUpdates(batches: CriticInput[]): Promise<number[]> {
    if (this.onnxCritic === undefined) {
      return batches.map((batch) => this.criticStep(batch.features, batch.labels, batch.draws));
    }
    return this.onnxCritic.update(
      batches.map((batch) => ({
        features: batch.features.dataSync() as Float32Array,
        labels: batch.labels,
        permutation: batch.draws.permutation,
        epsilon: batch.draws.epsilon,
      })),
    );
  }

  /** Builds the joint pairs [x, e(y)] and shuffled pairs [x, e(y_permuted)]. */
  pairs(
    features: tf.Tensor2D,
    labels: Int32Array,
    permutation: Int32Array,
  ): { joint: tf.Tensor2D; shuffled: tf.Tensor2D } {
    const shuffledLabels = Int32Array.from(permutation, (index) => labels[index]);
    return {
      joint: tf.concat([features, this.embed(labels)], 1),
      shuffled: tf.concat([features, this.embed(shuffledLabels)], 1),
    };
  }

  /** Runs one critic update on detached features and returns the critic's MI estimate. */
  criticStep(features: tf.Tensor2D, labels: Int32Array, draws: PairDraws): number {
    let estimate = 0;
    const { value, grads } = tf.variableGrads(() => {
      const { joint, shuffled } = this.pairs(features, labels, draws.permutation);
      if (this.settings.kind === "mine") {
        const terms = mineTerms(this.critic, joint, shuffled, this.mineAverage, this.settings.mineAverageRate);
        this.mineAverage = terms.average;
        estimate = terms.bound.dataSync()[0];
        return terms.loss;
      }
      const epsilon = tf.tensor2d(draws.epsilon, [draws.epsilon.length, 1]);
      const terms = wassersteinCriticTerms(
        this.critic,
        joint,
        shuffled,
        epsilon,
        this.settings.gradientPenaltyWeight,
      );
      estimate = terms.distance.dataSync()[0];
      return terms.loss;
    }, this.critic.parameters.list());
    this.optimizer.applyGradients(grads as unknown as Record<string, tf.Variable>);
    tf.dispose([value, ...Object.values(grads)]);
    return estimate;
  }

  /**
   * Returns the MI estimate the model minimises, differentiable in `features`: the Wasserstein
   * distance estimate, or MINE's bias-corrected surrogate (the moving average is not updated).
   */
  modelTerm(features: tf.Tensor2D, labels: Int32Array, permutation: Int32Array): tf.Scalar {
    const { joint, shuffled } = this.pairs(features, labels, permutation);
    if (this.settings.kind === "wasserstein") {
      return wassersteinDistance(this.critic, joint, shuffled);
    }
    const terms = mineTerms(this.critic, joint, shuffled, this.mineAverage, 0);
    return tf.neg(terms.loss) as tf.Scalar;
  }

  private embed(labels: Int32Array): tf.Tensor2D {
    const dim = this.embeddingDim;
    const rows = new Float32Array(labels.length * dim);
    labels.forEach((label, i) => rows.set(this.embedding.subarray(label * dim, (label + 1) * dim), i * dim));
    return tf.tensor2d(rows, [labels.length, dim]);
  }
}
