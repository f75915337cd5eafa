import { tf } from "../backend.js";
import type { Parameters } from "../parameters.js";
import { ort } from "../../onnx/session.js";
import { AdamClock } from "./adam-clock.js";
import { slotNames } from "./critic-layout.js";

/** A named tensor, as tf.Optimizer.getWeights() returns them. */
export type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * Parameters and Adam moments of one network trained in ONNX Runtime, kept in Float32Arrays
 * between graph runs. The TensorFlow.js variables (`parameters`) and optimizer are the copy
 * that checkpoints, saved models and TF.js code read:
 * - load() (on first use, and again after setWeights) reads the values from the variables and
 *   the moments and step count from the optimizer, so both engines start from one state;
 * - push() writes the values back into the variables;
 * - getWeights()/setWeights() stand in for the optimizer's in checkpoints, in its layout
 *   (iterations, then every first moment, then every second moment).
 * Graph inputs are named `${prefix}p${i}`, `${prefix}m${i}`, `${prefix}v${i}` in
 * parameters.list() order, and the outputs of an update add `_next`.
 */
export class AdamState {
  readonly clock: AdamClock;
  values: Float32Array[] = [];
  private first: Float32Array[] = [];
  private second: Float32Array[] = [];
  private loaded = false;
  private pushed = true;

  /** Whether graph runs take and return the first moment (tracksFirstMoment). */
  private readonly tracksFirst: boolean;

  constructor(
    readonly parameters: Parameters,
    readonly optimizer: tf.AdamOptimizer,
    betas: [number, number],
    readonly prefix = "",
  ) {
    this.clock = new AdamClock(betas[0], betas[1]);
    this.tracksFirst = betas[0] !== 0;
  }

  /** Shapes of the parameters, in order. */
  get shapes(): number[][] {
    return this.parameters.list().map((variable) => variable.shape);
  }

  /** Reads values, moments and step count from TF.js unless already loaded. */
  async load(): Promise<void> {
    if (this.loaded) return;
    const variables = this.parameters.list();
    this.values = variables.map((variable) => Float32Array.from(variable.dataSync() as Float32Array));
    const weights = await this.optimizer.getWeights();
    const iterations = (await weights[0].tensor.data())[0];
    weights[0].tensor.dispose();
    const moments = weights.slice(1);
    const complete = moments.length === 2 * variables.length;
    const read = (offset: number): Float32Array[] =>
      variables.map((variable, i) =>
        complete
          ? Float32Array.from(moments[offset + i].tensor.dataSync() as Float32Array)
          : new Float32Array(variable.size),
      );
    // Untracked first moments never enter an update (beta1 = 0), so they are kept as zeros.
    this.first = this.tracksFirst ? read(0) : variables.map((variable) => new Float32Array(variable.size));
    this.second = read(variables.length);
    this.clock.reset(complete ? iterations : 0);
    this.loaded = true;
    this.pushed = true;
  }

  /** Adds the parameter inputs (and the moments, with `moments`) to `feeds`. */
  addFeeds(feeds: Record<string, ort.Tensor>, moments: boolean): void {
    this.shapes.forEach((shape, i) => {
      const names = this.names(i);
      feeds[names.parameter] = new ort.Tensor("float32", this.values[i], shape);
      if (!moments) return;
      if (this.tracksFirst) feeds[names.first] = new ort.Tensor("float32", this.first[i], shape);
      feeds[names.second] = new ort.Tensor("float32", this.second[i], shape);
    });
  }

  /** Takes the `_next` outputs of a run as the new state and counts its `steps` updates. */
  accept(results: Record<string, ort.Tensor>, steps = 1): void {
    this.shapes.forEach((_, i) => {
      const names = this.names(i);
      this.values[i] = results[`${names.parameter}_next`].data as Float32Array;
      if (this.tracksFirst) this.first[i] = results[`${names.first}_next`].data as Float32Array;
      this.second[i] = results[`${names.second}_next`].data as Float32Array;
    });
    for (let k = 0; k < steps; k++) this.clock.tick();
    this.pushed = false;
  }

  /** Graph names of parameter i and its moments. */
  names(i: number): { parameter: string; first: string; second: string } {
    const names = slotNames(i);
    return {
      parameter: this.prefix + names.parameter,
      first: this.prefix + names.first,
      second: this.prefix + names.second,
    };
  }

  /** Writes the current values into the TF.js variables. */
  push(): void {
    if (!this.loaded || this.pushed) return;
    this.parameters.list().forEach((variable, i) => {
      tf.tidy(() => variable.assign(tf.tensor(this.values[i], variable.shape)));
    });
    this.pushed = true;
  }

  /** Returns the optimizer state in tf.AdamOptimizer.getWeights() layout, for checkpoints. */
  async getWeights(): Promise<NamedTensor[]> {
    if (!this.loaded || this.clock.iterations === 0) return this.optimizer.getWeights();
    const variables = this.parameters.list();
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

  /** Restores optimizer state; the next load() reads values and moments from TF.js again. */
  async setWeights(weights: NamedTensor[]): Promise<void> {
    await this.optimizer.setWeights(weights);
    this.loaded = false;
  }
}
