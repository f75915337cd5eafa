import type { tf } from "../backend.js";
import type { MlpCritic } from "../critic.js";
import { ort } from "../../onnx/session.js";
import type { AdamSettings } from "./adam-nodes.js";
import { AdamState } from "./adam-state.js";
import { buildCriticUpdateGraph, stepInputs } from "./critic-update-graph.js";
import { buildDistanceGradientGraph } from "./distance-gradient-graph.js";
import { GraphTrainer } from "./graph-trainer.js";
import type { ExternalTerm } from "./injected-gradient.js";

/** Settings of an OnnxCritic besides the critic and its TensorFlow.js optimizer. */
export interface OnnxCriticSettings {
  featureDim: number;
  /** Label embedding `[numClasses, embeddingDim]`, row-major. */
  embedding: Float32Array;
  embeddingDim: number;
  slope: number;
  penaltyWeight: number;
  adam: AdamSettings;
  /** ONNX Runtime intra-op threads; default 0 (every core). */
  threads?: number;
}

/** Inputs of one critic update: features `[n, featureDim]` and the draws of that update. */
export interface CriticBatch {
  features: Float32Array;
  labels: Int32Array;
  permutation: Int32Array;
  epsilon: Float32Array;
}

/**
 * Runs the Wasserstein critic updates of one PenaltyTerm in ONNX Runtime. The parameters and
 * Adam moments live in an AdamState between updates (see there for how they stay in step with
 * the TF.js variables and optimizer). getWeights()/setWeights() let a checkpoint treat this
 * object as the critic's optimizer.
 */
export class OnnxCritic extends GraphTrainer {
  constructor(
    readonly critic: MlpCritic,
    optimizer: tf.AdamOptimizer,
    readonly settings: OnnxCriticSettings,
  ) {
    super(new AdamState(critic.parameters, optimizer, [settings.adam.beta1, settings.adam.beta2]), settings.threads);
  }

  /** Layer widths of the critic, read from its weight shapes. */
  get widths(): number[] {
    return this.state.shapes.filter((_, i) => i % 2 === 0).map((shape) => shape[1]);
  }

  /** Current parameter values in critic.parameters order (loads them on first use). */
  async values(): Promise<Float32Array[]> {
    await this.state.load();
    return this.state.values;
  }

  /**
   * Runs one critic update per batch, in order, in one ONNX Runtime call, and returns the
   * distance estimate before each. All batches must have the same size.
   */
  async update(batches: CriticBatch[]): Promise<number[]> {
    await this.state.load();
    const n = batches[0].labels.length;
    if (batches.some((batch) => batch.labels.length !== n)) {
      throw new Error("OnnxCritic.update needs batches of one size.");
    }
    const session = await this.session("update", n, batches.length);
    const corrections = this.state.clock.upcoming(batches.length);
    const feeds: Record<string, ort.Tensor> = {};
    batches.forEach((batch, k) => {
      const names = stepInputs(k);
      const pairs = this.pairFeeds(batch.features, batch.labels, batch.permutation);
      feeds[names.features] = pairs.features;
      feeds[names.labels] = pairs.labels;
      feeds[names.shuffledLabels] = pairs.shuffledLabels;
      feeds[names.epsilon] = new ort.Tensor("float32", batch.epsilon, [n, 1]);
      names.corrections.forEach((name, j) => {
        feeds[name] = new ort.Tensor("float32", Float32Array.of(corrections[k][j]), []);
      });
    });
    this.state.addFeeds(feeds, true);
    const results = await session.run(feeds);
    this.state.accept(results, batches.length);
    return batches.map((_, k) => (results[`distance_${k}`].data as Float32Array)[0]);
  }

  /**
   * Returns the distance estimate mean T(shuffled) - mean T(joint) on `features` `[n,
   * featureDim]` and its gradient with respect to them, for the model step.
   */
  async distanceGradient(features: Float32Array, labels: Int32Array, permutation: Int32Array): Promise<ExternalTerm> {
    await this.state.load();
    const session = await this.session("distance", labels.length);
    const feeds = this.pairFeeds(features, labels, permutation);
    this.state.addFeeds(feeds, false);
    const results = await session.run(feeds);
    return {
      value: (results.distance.data as Float32Array)[0],
      gradient: results.featureGradient.data as Float32Array,
    };
  }

  private pairFeeds(features: Float32Array, labels: Int32Array, permutation: Int32Array): Record<string, ort.Tensor> {
    const n = labels.length;
    return {
      features: new ort.Tensor("float32", features, [n, this.settings.featureDim]),
      labels: new ort.Tensor("int32", labels, [n]),
      shuffledLabels: new ort.Tensor("int32", Int32Array.from(permutation, (i) => labels[i]), [n]),
    };
  }

  /** Returns the session of one graph for a batch size and update count, built on first use. */
  private session(kind: "update" | "distance", batch: number, steps = 1): Promise<ort.InferenceSession> {
    return this.cachedSession(`${kind}:${batch}:${steps}`, () => {
      const spec = { ...this.settings, batch, widths: this.widths };
      return kind === "update" ? buildCriticUpdateGraph(spec, steps) : buildDistanceGradientGraph(spec);
    });
  }
}
