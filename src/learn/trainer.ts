import { Random } from "../core/rng.js";
import { tf } from "./backend.js";
import { sampleBatch } from "./batch.js";
import type { LearnData } from "./data.js";
import type { HistoryEntry } from "./model.js";
import { LinearDependenceTerm } from "./linear-dependence.js";
import { InvariantNetwork } from "./network.js";
import type { LearnOptions } from "./options.js";
import { PenaltyTerm, drawPairs, type CriticInput } from "./penalty.js";
import type { TrainingState } from "./checkpoint.js";
import { TFJS_ADAM_EPSILON } from "./onnx-engine/adam-nodes.js";
import { injectGradient, type ExternalTerm } from "./onnx-engine/injected-gradient.js";
import { OnnxProjection } from "./onnx-engine/onnx-projection.js";

/** Scalars of one model step. */
interface StepScalars {
  fgLoss: number;
  bgLoss: number;
  fgAccuracy: number;
  bgAccuracy: number;
}

/**
 * The state and update rules of one training run. Every random draw of step `s` comes from a
 * generator seeded with (seed, s, purpose), so a run is reproducible and resumes exactly where
 * a checkpoint left it.
 */
export class Trainer {
  readonly network: InvariantNetwork;
  readonly optimizer: tf.AdamOptimizer;
  /** I(fg features; bg labels), absent when the penalty is `none`. */
  readonly fgTerm: PenaltyTerm | undefined;
  /** I(bg features; fg labels), absent when the penalty is `none`. */
  readonly bgTerm: PenaltyTerm | undefined;
  /** The `linear` penalty's two terms, in the same roles; absent for other penalties. */
  readonly fgLinear: LinearDependenceTerm | undefined;
  readonly bgLinear: LinearDependenceTerm | undefined;
  readonly history: HistoryEntry[] = [];
  /** The projection backbone's model steps in ONNX Runtime, with engine `onnx`. */
  readonly onnxProjection: OnnxProjection | undefined;
  private criticFg: number | null = null;
  private criticBg: number | null = null;

  constructor(
    readonly data: LearnData,
    readonly n: number,
    readonly options: LearnOptions,
  ) {
    const random = new Random(`${options.seed}:init`);
    this.network = new InvariantNetwork(
      {
        backbone: options.backbone,
        inputShape: data.inputShape,
        cnnChannels: options.cnnChannels,
        cnnPool: options.cnnPool,
        centreInputs: true,
        featureDim: options.featureDim,
        fgDim: options.fgDim,
        bgDim: options.bgDim,
        numFg: data.numFg,
        numBg: data.numBg,
      },
      random,
    );
    const [beta1, beta2] = options.adamBetas;
    this.optimizer = tf.train.adam(options.learningRate, beta1, beta2);
    if (options.penalty === "linear") {
      const settings = { averageRate: options.linearAverageRate, shrinkage: options.linearShrinkage };
      this.fgLinear = new LinearDependenceTerm("linearFg", options.fgDim, data.numBg, settings);
      this.bgLinear = new LinearDependenceTerm("linearBg", options.bgDim, data.numFg, settings);
    } else if (options.penalty !== "none") {
      const settings = { ...options, kind: options.penalty };
      this.fgTerm = new PenaltyTerm("criticFg", options.fgDim, data.numBg, settings, random);
      this.bgTerm = new PenaltyTerm("criticBg", options.bgDim, data.numFg, settings, random);
    }
    if (options.engine === "onnx" && options.backbone === "projection") {
      const fg = this.fgTerm?.onnxCritic;
      const bg = this.bgTerm?.onnxCritic;
      this.onnxProjection = new OnnxProjection(
        this.network,
        this.optimizer,
        {
          alpha: options.alpha,
          penaltyWeight: options.penaltyWeight,
          adam: { learningRate: options.learningRate, beta1, beta2, epsilon: TFJS_ADAM_EPSILON },
        },
        fg && bg ? { fg, bg } : undefined,
      );
    }
  }

  /** Returns whether step `step` (0-based) trains critics and adds the penalty. */
  penaltyActive(step: number): boolean {
    return this.options.penalty !== "none" && step >= this.options.pretrainSteps;
  }

  /** Runs step `step`: the critic updates when the penalty is active, then one model update. */
  async step(step: number, startedAt: number): Promise<void> {
    if (this.penaltyActive(step) && this.fgTerm !== undefined) {
      await this.criticSteps(step);
    }
    const scalars = await this.modelStep(step);
    if ((step + 1) % this.options.logEvery === 0 || step + 1 === this.options.steps) {
      this.history.push({
        step: step + 1,
        ...scalars,
        criticFg: this.penaltyActive(step) ? this.criticFg : null,
        criticBg: this.penaltyActive(step) ? this.criticBg : null,
        seconds: (Date.now() - startedAt) / 1000,
      });
    }
  }

  /**
   * Writes parameters trained in ONNX Runtime into their TF.js variables, which checkpoints and
   * the trained model read. Does nothing with the tfjs engine.
   */
  pushParameters(): void {
    this.onnxProjection?.pushParameters();
    this.fgTerm?.onnxCritic?.pushParameters();
    this.bgTerm?.onnxCritic?.pushParameters();
  }

  /** Returns the training state in the form checkpoints store. */
  state(step: number): TrainingState {
    this.pushParameters();
    const parameters: TrainingState["parameters"] = { network: this.network.parameters };
    const optimizers: TrainingState["optimizers"] = { network: this.onnxProjection ?? this.optimizer };
    for (const term of [this.fgTerm, this.bgTerm]) {
      if (term === undefined) continue;
      parameters[term.name] = term.critic.parameters;
      optimizers[term.name] = term.onnxCritic ?? term.optimizer;
    }
    for (const term of [this.fgLinear, this.bgLinear]) {
      if (term !== undefined) parameters[term.name] = term.stats;
    }
    return {
      step,
      history: this.history,
      mineAverages: [this.fgTerm?.mineAverage ?? null, this.bgTerm?.mineAverage ?? null],
      parameters,
      optimizers,
    };
  }

  /** Applies MINE averages read back from a checkpoint; drops precisions of restored statistics. */
  restoreAverages(averages: Array<number | null>): void {
    if (this.fgTerm) this.fgTerm.mineAverage = averages[0] ?? undefined;
    if (this.bgTerm) this.bgTerm.mineAverage = averages[1] ?? undefined;
    this.fgLinear?.invalidate();
    this.bgLinear?.invalidate();
  }

  private randomFor(step: number, purpose: string): Random {
    return new Random(`${this.options.seed}:${step}:${purpose}`);
  }

  /**
   * Trains both critics for `criticSteps` updates on one pool of features:
   * 1. draw `criticPool` batches, pool batch k with the generator of critic step k;
   * 2. run the network once per pool batch (it does not change during these updates);
   * 3. update the critics, step k on pool batch k while k < criticPool, then on `batchSize`
   *    rows drawn from the whole pool with the generator of step k.
   * With criticPool = criticSteps (the default) every step has its own fresh batch.
   */
  private async criticSteps(step: number): Promise<void> {
    const { criticSteps, criticPool, batchSize } = this.options;
    const randoms: Random[] = [];
    const pool: PoolBatch[] = [];
    const batches = [];
    for (let k = 0; k < criticPool; k++) {
      const random = this.randomFor(step, `critic${k}`);
      batches.push(sampleBatch(this.data, this.n, batchSize, random));
      randoms.push(random);
    }
    const features = await this.poolFeatures(batches.map((batch) => batch.inputs));
    batches.forEach((batch, k) => {
      batch.inputs.dispose();
      pool.push({ fg: features[k].fg, bg: features[k].bg, fgLabels: batch.fgLabels, bgLabels: batch.bgLabels });
    });
    const all = criticSteps > criticPool ? concatPool(pool) : undefined;
    const fgInputs: CriticInput[] = [];
    const bgInputs: CriticInput[] = [];
    const gathered: PoolBatch[] = [];
    for (let k = 0; k < criticSteps; k++) {
      let batch = pool[k];
      let random = randoms[k];
      if (k >= criticPool) {
        random = this.randomFor(step, `critic${k}`);
        const rows = Int32Array.from({ length: batchSize }, () => random.int(criticPool * batchSize));
        batch = gatherPool(all as PoolBatch, rows);
        gathered.push(batch);
      }
      fgInputs.push({ features: batch.fg, labels: batch.bgLabels, draws: drawPairs(batch.bgLabels.length, random) });
      bgInputs.push({ features: batch.bg, labels: batch.fgLabels, draws: drawPairs(batch.fgLabels.length, random) });
    }
    // The two critics are independent, so each takes its updates in one call.
    this.criticFg = (await (this.fgTerm as PenaltyTerm).criticUpdates(fgInputs)).at(-1) ?? null;
    this.criticBg = (await (this.bgTerm as PenaltyTerm).criticUpdates(bgInputs)).at(-1) ?? null;
    tf.dispose([...pool, ...gathered].flatMap((batch) => [batch.fg, batch.bg]));
    if (all) tf.dispose([all.fg, all.bg]);
  }

  /**
   * Runs the network on the critic batches: one by one in TF.js, or all in one ONNX Runtime
   * call with OnnxProjection (one product of all rows keeps both cores busier than several).
   */
  private async poolFeatures(inputs: tf.Tensor[]): Promise<Array<{ fg: tf.Tensor2D; bg: tf.Tensor2D }>> {
    if (this.onnxProjection === undefined) {
      return inputs.map((batch) => tf.tidy(() => this.network.split(this.network.features(batch))));
    }
    const sizes = inputs.map((batch) => batch.shape[0]);
    const rows = sizes.reduce((total, size) => total + size, 0);
    // Projection inputs are [n, inputDim], and criticPool >= 1 gives a first batch.
    const joined = new Float32Array(rows * (inputs[0].shape[1] as number));
    let offset = 0;
    for (const batch of inputs) {
      const values = batch.dataSync() as Float32Array;
      joined.set(values, offset);
      offset += values.length;
    }
    const { fg, bg } = await this.onnxProjection.features(joined, rows);
    const { fgDim, bgDim } = this.options;
    let start = 0;
    return sizes.map((size) => {
      const part = {
        fg: tf.tensor2d(fg.subarray(start * fgDim, (start + size) * fgDim), [size, fgDim]),
        bg: tf.tensor2d(bg.subarray(start * bgDim, (start + size) * bgDim), [size, bgDim]),
      };
      start += size;
      return part;
    });
  }

  private async modelStep(step: number): Promise<StepScalars> {
    const random = this.randomFor(step, "model");
    const batch = sampleBatch(this.data, this.n, this.options.batchSize, random);
    const active = this.penaltyActive(step);
    const fgPermutation = drawPairs(batch.bgLabels.length, random).permutation;
    const bgPermutation = drawPairs(batch.fgLabels.length, random).permutation;
    if (this.onnxProjection !== undefined) {
      const inputs = batch.inputs.dataSync() as Float32Array;
      batch.inputs.dispose();
      const permutations = active ? { fg: fgPermutation, bg: bgPermutation } : undefined;
      const result = await this.onnxProjection.step({ ...batch, inputs }, permutations);
      const accuracy = (predicted: BigInt64Array, labels: Int32Array): number =>
        labels.filter((label, i) => Number(predicted[i]) === label).length / labels.length;
      return {
        fgLoss: result.fgLoss,
        bgLoss: result.bgLoss,
        fgAccuracy: accuracy(result.fgPredicted, batch.fgLabels),
        bgAccuracy: accuracy(result.bgPredicted, batch.bgLabels),
      };
    }
    const external = active ? await this.externalTerms(batch, fgPermutation, bgPermutation) : undefined;
    let kept: tf.Tensor[] = [];
    let linearValues: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const features = this.network.split(this.network.features(batch.inputs));
      const logits = this.network.logits(features.fg, features.bg);
      const fgLoss = crossEntropy(logits.fg, batch.fgLabels, this.data.numFg);
      const bgLoss = crossEntropy(logits.bg, batch.bgLabels, this.data.numBg);
      kept = [fgLoss, bgLoss, logits.fg, logits.bg, features.fg, features.bg].map((t) => tf.keep(t));
      let loss = tf.mul(this.options.alpha, tf.add(fgLoss, bgLoss)) as tf.Scalar;
      if (active && this.fgLinear !== undefined && this.bgLinear !== undefined) {
        const fgTerm = this.fgLinear.modelTerm(features.fg, batch.bgLabels);
        const bgTerm = this.bgLinear.modelTerm(features.bg, batch.fgLabels);
        linearValues = [tf.keep(fgTerm), tf.keep(bgTerm)];
        loss = tf.add(loss, tf.mul(this.options.penaltyWeight, tf.add(fgTerm, bgTerm)));
      } else if (active) {
        const fgTerm = external
          ? injectGradient(features.fg, external.fg)
          : (this.fgTerm as PenaltyTerm).modelTerm(features.fg, batch.bgLabels, fgPermutation);
        const bgTerm = external
          ? injectGradient(features.bg, external.bg)
          : (this.bgTerm as PenaltyTerm).modelTerm(features.bg, batch.fgLabels, bgPermutation);
        loss = tf.add(loss, tf.mul(this.options.penaltyWeight, tf.add(fgTerm, bgTerm)));
      }
      return loss;
    }, this.network.parameters.list());
    this.optimizer.applyGradients(grads as unknown as Record<string, tf.Variable>);
    const [fgLoss, bgLoss, fgLogits, bgLogits, fgFeatures, bgFeatures] = kept;
    // The linear penalty's statistics follow every batch, pre-training included, so they are
    // settled when the penalty starts.
    this.fgLinear?.observe(fgFeatures as tf.Tensor2D, step);
    this.bgLinear?.observe(bgFeatures as tf.Tensor2D, step);
    if (linearValues.length === 2) {
      this.criticFg = linearValues[0].dataSync()[0];
      this.criticBg = linearValues[1].dataSync()[0];
    }
    const scalars: StepScalars = {
      fgLoss: fgLoss.dataSync()[0],
      bgLoss: bgLoss.dataSync()[0],
      fgAccuracy: accuracy(fgLogits, batch.fgLabels),
      bgAccuracy: accuracy(bgLogits, batch.bgLabels),
    };
    tf.dispose([value, batch.inputs, ...kept, ...linearValues, ...Object.values(grads)]);
    return scalars;
  }

  /**
   * Evaluates both penalty terms and their feature gradients in ONNX Runtime on the batch's
   * current features, or returns undefined with the tfjs engine. The backbone runs once more
   * inside the gradient tape, where injectGradient uses the results.
   */
  private async externalTerms(
    batch: { inputs: tf.Tensor; fgLabels: Int32Array; bgLabels: Int32Array },
    fgPermutation: Int32Array,
    bgPermutation: Int32Array,
  ): Promise<{ fg: ExternalTerm; bg: ExternalTerm } | undefined> {
    const fgCritic = this.fgTerm?.onnxCritic;
    const bgCritic = this.bgTerm?.onnxCritic;
    if (fgCritic === undefined || bgCritic === undefined) return undefined;
    let fg: Float32Array = new Float32Array(0);
    let bg: Float32Array = new Float32Array(0);
    tf.tidy(() => {
      const features = this.network.split(this.network.features(batch.inputs));
      fg = features.fg.dataSync() as Float32Array;
      bg = features.bg.dataSync() as Float32Array;
    });
    return {
      fg: await fgCritic.distanceGradient(fg, batch.bgLabels, fgPermutation),
      bg: await bgCritic.distanceGradient(bg, batch.fgLabels, bgPermutation),
    };
  }
}

/** Features and labels of critic examples, computed once per model step. */
interface PoolBatch {
  fg: tf.Tensor2D;
  bg: tf.Tensor2D;
  fgLabels: Int32Array;
  bgLabels: Int32Array;
}

/** Joins the pool batches into one, rows in pool order. */
function concatPool(pool: PoolBatch[]): PoolBatch {
  const labels = (pick: (batch: PoolBatch) => Int32Array): Int32Array => {
    const joined = new Int32Array(pool.reduce((total, batch) => total + pick(batch).length, 0));
    let offset = 0;
    for (const batch of pool) {
      joined.set(pick(batch), offset);
      offset += pick(batch).length;
    }
    return joined;
  };
  return {
    fg: tf.concat(pool.map((batch) => batch.fg)),
    bg: tf.concat(pool.map((batch) => batch.bg)),
    fgLabels: labels((batch) => batch.fgLabels),
    bgLabels: labels((batch) => batch.bgLabels),
  };
}

/** Picks `rows` of a pool batch. */
function gatherPool(pool: PoolBatch, rows: Int32Array): PoolBatch {
  const indices = Array.from(rows);
  return tf.tidy(() => {
    const index = tf.tensor1d(rows, "int32");
    return {
      fg: tf.gather(pool.fg, index),
      bg: tf.gather(pool.bg, index),
      fgLabels: Int32Array.from(indices, (i) => pool.fgLabels[i]),
      bgLabels: Int32Array.from(indices, (i) => pool.bgLabels[i]),
    };
  });
}

function crossEntropy(logits: tf.Tensor2D, labels: Int32Array, classes: number): tf.Scalar {
  const oneHot = tf.oneHot(tf.tensor1d(labels, "int32"), classes);
  return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
}

function accuracy(logits: tf.Tensor, labels: Int32Array): number {
  const predicted = tf.tidy(() => tf.argMax(logits, 1).dataSync());
  let correct = 0;
  labels.forEach((label, i) => {
    if (predicted[i] === label) correct += 1;
  });
  return correct / labels.length;
}
