import { tf } from "../backend.js";
import type { MlpCritic } from "../critic.js";
import { ort } from "../../onnx/session.js";
import { AdamClock } from "./adam-clock.js";
import type { AdamSettings } from "./adam-nodes.js";
import type { ExternalTerm } from "./injected-gradient.js";
import { slotNames } from "./critic-layout.js";
import { buildCriticUpdateGraph } from "./critic-update-graph.js";
import { buildDistanceGradientGraph } from "./distance-gradient-graph.js";
import { openGraphSession } from "./graph-session.js";

/** What an OnnxCritic needs besides the critic and its TensorFlow.js optimizer. */
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

type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * Runs the Wasserstein critic updates of one PenaltyTerm in ONNX Runtime. Parameters and Adam
 * moments live here in Float32Arrays between updates; the TensorFlow.js variables of
 * `critic.parameters` and the TensorFlow.js optimizer are the copy that checkpoints and the
 * TensorFlow.js model term read:
 * - the first update (and the first after setWeights) reads the parameters from the variables
 *   and the moments and step count from the optimizer, so both engines start from one state;
 * - pushParameters() writes the parameters back into the variables;
 * - getWeights()/setWeights() stand in for the optimizer's in checkpoints, in its layout
 *   (iterations, then every first moment, then every second moment).
 */
export class OnnxCritic {
  private readonly clock: AdamClock;
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private parameters: Float32Array[] = [];
  private first: Float32Array[] = [];
  private second: Float32Array[] = [];
  private loaded = false;
  private pushed = true;

  constructor(
    readonly critic: MlpCritic,
    readonly optimizer: tf.AdamOptimizer,
    readonly settings: OnnxCriticSettings,
  ) {
    this.clock = new AdamClock(settings.adam.beta1, settings.adam.beta2);
  }

  /** Layer widths of the critic, read from its weight shapes. */
  get widths(): number[] {
    return this.critic.parameters.list().filter((_, i) => i % 2 === 0).map((w) => w.shape[1] as number);
  }

  /** Current parameter values in critic.parameters order (loads them on first use). */
  async values(): Promise<Float32Array[]> {
    await this.load();
    return this.parameters;
  }

  /** Runs one critic update and returns the distance estimate before it. */
  async update(batch: CriticBatch): Promise<number> {
    await this.load();
    const n = batch.labels.length;
    const session = await this.session("update", n);
    const [correction1, correction2] = this.clock.corrections();
    const feeds: Record<string, ort.Tensor> = {
      ...this.pairFeeds(batch.features, batch.labels, batch.permutation),
      epsilon: new ort.Tensor("float32", batch.epsilon, [n, 1]),
      correction1: new ort.Tensor("float32", Float32Array.of(correction1), []),
      correction2: new ort.Tensor("float32", Float32Array.of(correction2), []),
    };
    const shapes = this.critic.parameters.list().map((variable) => variable.shape);
    shapes.forEach((shape, i) => {
      const names = slotNames(i);
      feeds[names.parameter] = new ort.Tensor("float32", this.parameters[i], shape);
      feeds[names.first] = new ort.Tensor("float32", this.first[i], shape);
      feeds[names.second] = new ort.Tensor("float32", this.second[i], shape);
    });
    const results = await session.run(feeds);
    shapes.forEach((_, i) => {
      const names = slotNames(i);
      this.parameters[i] = results[`${names.parameter}_next`].data as Float32Array;
      this.first[i] = results[`${names.first}_next`].data as Float32Array;
      this.second[i] = results[`${names.second}_next`].data as Float32Array;
    });
    this.clock.tick();
    this.pushed = false;
    return (results.distance.data as Float32Array)[0];
  }

  /**
   * Returns the distance estimate mean T(shuffled) - mean T(joint) on `features` `[n,
   * featureDim]` and its gradient with respect to them, for the model step.
   */
  async distanceGradient(features: Float32Array, labels: Int32Array, permutation: Int32Array): Promise<ExternalTerm> {
    await this.load();
    const session = await this.session("distance", labels.length);
    const feeds = this.pairFeeds(features, labels, permutation);
    this.critic.parameters.list().forEach((variable, i) => {
      feeds[slotNames(i).parameter] = new ort.Tensor("float32", this.parameters[i], variable.shape);
    });
    const results = await session.run(feeds);
    return {
      value: (results.distance.data as Float32Array)[0],
      gradient: results.featureGradient.data as Float32Array,
    };
  }

  /** Writes the current parameters into the TensorFlow.js variables of the critic. */
  pushParameters(): void {
    if (!this.loaded || this.pushed) return;
    this.critic.parameters.list().forEach((variable, i) => {
      tf.tidy(() => variable.assign(tf.tensor(this.parameters[i], variable.shape)));
    });
    this.pushed = true;
  }

  /** The optimizer state in tf.AdamOptimizer.getWeights() layout, for checkpoints. */
  async getWeights(): Promise<NamedTensor[]> {
    if (!this.loaded || this.clock.iterations === 0) return this.optimizer.getWeights();
    const variables = this.critic.parameters.list();
    const moments = (arrays: Float32Array[], suffix: string): NamedTensor[] =>
      variables.map((variable, i) => ({
        name: `${variable.name}/${suffix}`,
        tensor: tf.tensor(arrays[i], variable.shape),
      }));
    return [
      { name: "iter", tensor: tf.scalar(this.clock.iterations, "int32") },
      ...moments(this.first, "m"),
      ...moments(this.second, "v"),
    ];
  }

  /** Restores optimizer state; the next update reloads parameters and moments from TF.js. */
  async setWeights(weights: NamedTensor[]): Promise<void> {
    await this.optimizer.setWeights(weights);
    this.loaded = false;
  }

  /** Frees the sessions. */
  async dispose(): Promise<void> {
    for (const session of this.sessions.values()) await (await session).release();
    this.sessions.clear();
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    const variables = this.critic.parameters.list();
    this.parameters = variables.map((variable) => Float32Array.from(variable.dataSync() as Float32Array));
    const weights = await this.optimizer.getWeights();
    const iterations = (await weights[0].tensor.data())[0];
    weights[0].tensor.dispose();
    const moments = weights.slice(1);
    const read = (offset: number): Float32Array[] =>
      variables.map((variable, i) =>
        moments.length === 2 * variables.length
          ? Float32Array.from(moments[offset + i].tensor.dataSync() as Float32Array)
          : new Float32Array(variable.size),
      );
    this.first = read(0);
    this.second = read(variables.length);
    this.clock.reset(moments.length === 2 * variables.length ? iterations : 0);
    this.loaded = true;
    this.pushed = true;
  }

  private pairFeeds(features: Float32Array, labels: Int32Array, permutation: Int32Array): Record<string, ort.Tensor> {
    const n = labels.length;
    return {
      features: new ort.Tensor("float32", features, [n, this.settings.featureDim]),
      labels: new ort.Tensor("int32", labels, [n]),
      shuffledLabels: new ort.Tensor("int32", Int32Array.from(permutation, (i) => labels[i]), [n]),
    };
  }

  /** Returns the session of one graph kind for batch size `batch`, building it on first use. */
  private session(kind: "update" | "distance", batch: number): Promise<ort.InferenceSession> {
    const key = `${kind}:${batch}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      const spec = { ...this.settings, batch, widths: this.widths };
      const model = kind === "update" ? buildCriticUpdateGraph(spec) : buildDistanceGradientGraph(spec);
      session = openGraphSession(model, this.settings.threads);
      this.sessions.set(key, session);
    }
    return session;
  }
}
