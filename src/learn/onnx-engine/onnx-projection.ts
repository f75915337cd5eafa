import type { tf } from "../backend.js";
import type { InvariantNetwork } from "../network.js";
import { ort } from "../../onnx/session.js";
import type { AdamSettings } from "./adam-nodes.js";
import { AdamState } from "./adam-state.js";
import { GraphTrainer } from "./graph-trainer.js";
import {
  BG_CRITIC_PREFIX,
  buildModelStepGraph,
  buildProjectionGraph,
  FG_CRITIC_PREFIX,
  NETWORK_PREFIX,
  type ModelStepSpec,
} from "./model-step-graph.js";
import type { OnnxCritic } from "./onnx-critic.js";

/** Settings of the projection model step besides the network and its shapes. */
export interface OnnxProjectionSettings {
  alpha: number;
  penaltyWeight: number;
  adam: AdamSettings;
  /** ONNX Runtime intra-op threads; default 0 (every core). */
  threads?: number;
}

/** A batch of the model step: inputs `[n, inputDim]` and both label arrays. */
export interface ModelBatch {
  inputs: Float32Array;
  fgLabels: Int32Array;
  bgLabels: Int32Array;
}

/** Losses and arg-max classes of one model step, taken before its update. */
export interface ModelStepResult {
  fgLoss: number;
  bgLoss: number;
  fgPredicted: BigInt64Array;
  bgPredicted: BigInt64Array;
}

/**
 * Trains the projection backbone and both heads in ONNX Runtime: one graph per model step
 * (forward, cross-entropies, the critics' distance gradients, backward, Adam) and one that
 * computes the feature parts for the critics' batches. The network parameters live in an
 * AdamState, which checkpoints also use in place of the network optimizer.
 */
export class OnnxProjection extends GraphTrainer {
  constructor(
    readonly network: InvariantNetwork,
    optimizer: tf.AdamOptimizer,
    readonly settings: OnnxProjectionSettings,
    readonly critics?: { fg: OnnxCritic; bg: OnnxCritic },
  ) {
    if (network.spec.backbone !== "projection") {
      throw new Error("OnnxProjection trains the projection backbone only.");
    }
    const betas: [number, number] = [settings.adam.beta1, settings.adam.beta2];
    super(new AdamState(network.parameters, optimizer, betas, NETWORK_PREFIX), settings.threads);
  }

  /** Returns the foreground `[n, fgDim]` and background `[n, bgDim]` features of `n` inputs. */
  async features(inputs: Float32Array, n: number): Promise<{ fg: Float32Array; bg: Float32Array }> {
    await this.state.load();
    const session = await this.session("projection", n, false);
    const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor("float32", inputs, [n, this.inputDim]) };
    this.state.addFeeds(feeds, false);
    const results = await session.run(feeds, ["fg", "bg"]);
    return { fg: results.fg.data as Float32Array, bg: results.bg.data as Float32Array };
  }

  /**
   * Runs one model step. With `permutations` (the penalty is active) the loss includes both
   * critics' distance estimates on pairs whose labels are permuted by them.
   */
  async step(batch: ModelBatch, permutations?: { fg: Int32Array; bg: Int32Array }): Promise<ModelStepResult> {
    await this.state.load();
    const n = batch.fgLabels.length;
    const penalised = permutations !== undefined && this.critics !== undefined;
    const session = await this.session("step", n, penalised);
    const [correction1, correction2] = this.state.clock.corrections();
    const feeds: Record<string, ort.Tensor> = {
      x: new ort.Tensor("float32", batch.inputs, [n, this.inputDim]),
      fgLabels: new ort.Tensor("int32", batch.fgLabels, [n]),
      bgLabels: new ort.Tensor("int32", batch.bgLabels, [n]),
      correction1: new ort.Tensor("float32", Float32Array.of(correction1), []),
      correction2: new ort.Tensor("float32", Float32Array.of(correction2), []),
    };
    this.state.addFeeds(feeds, true);
    if (penalised) {
      const shuffle = (labels: Int32Array, permutation: Int32Array) => Int32Array.from(permutation, (i) => labels[i]);
      feeds.fgShuffled = new ort.Tensor("int32", shuffle(batch.bgLabels, permutations.fg), [n]);
      feeds.bgShuffled = new ort.Tensor("int32", shuffle(batch.fgLabels, permutations.bg), [n]);
      await this.addCriticFeeds(feeds);
    }
    const results = await session.run(feeds);
    this.state.accept(results);
    return {
      fgLoss: (results.fgLoss.data as Float32Array)[0],
      bgLoss: (results.bgLoss.data as Float32Array)[0],
      fgPredicted: results.fgPredicted.data as BigInt64Array,
      bgPredicted: results.bgPredicted.data as BigInt64Array,
    };
  }

  private get inputDim(): number {
    return this.network.spec.inputShape[0];
  }

  private async addCriticFeeds(feeds: Record<string, ort.Tensor>): Promise<void> {
    const critics = this.critics as { fg: OnnxCritic; bg: OnnxCritic };
    const pairs: Array<[string, OnnxCritic]> = [
      [FG_CRITIC_PREFIX, critics.fg],
      [BG_CRITIC_PREFIX, critics.bg],
    ];
    for (const [prefix, critic] of pairs) {
      const values = await critic.values();
      critic.state.shapes.forEach((shape, i) => {
        feeds[`${prefix}p${i}`] = new ort.Tensor("float32", values[i], shape);
      });
    }
  }

  private spec(batch: number, penalised: boolean): ModelStepSpec {
    const { spec } = this.network;
    const critic = (onnx: OnnxCritic) => ({ ...onnx.settings, widths: onnx.widths });
    return {
      batch,
      inputDim: this.inputDim,
      fgDim: spec.fgDim,
      bgDim: spec.bgDim,
      numFg: spec.numFg,
      numBg: spec.numBg,
      alpha: this.settings.alpha,
      penaltyWeight: this.settings.penaltyWeight,
      adam: this.settings.adam,
      critics: penalised && this.critics ? { fg: critic(this.critics.fg), bg: critic(this.critics.bg) } : undefined,
    };
  }

  /** Returns the session of one graph for batch size `batch`, building it on first use. */
  private session(kind: "projection" | "step", batch: number, penalised: boolean): Promise<ort.InferenceSession> {
    // The projection graph has a symbolic batch size, so one session serves every batch.
    const key = kind === "projection" ? kind : `${kind}:${batch}:${penalised}`;
    return this.cachedSession(key, () => {
      const spec = this.spec(batch, penalised);
      return kind === "projection" ? buildProjectionGraph(spec) : buildModelStepGraph(spec);
    });
  }
}
