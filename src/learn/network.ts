import { tf } from "./backend.js";
import { conv2dSame } from "./conv.js";
import { linear } from "./linear.js";
import { Parameters } from "./parameters.js";
import type { Random } from "../core/rng.js";

const INPUT_CENTRE = 0.5;
const INPUT_SCALE = 4;

/** Everything that fixes the shapes of an invariant network. */
export interface NetworkSpec {
  backbone: "cnn" | "projection";
  inputShape: number[];
  cnnChannels: number[];
  /** Global pool of the CNN's last feature map; models saved before it existed used `average`. */
  cnnPool?: "max" | "average";
  /** Whether the CNN centres its inputs; models saved before it existed did not. */
  centreInputs?: boolean;
  featureDim: number;
  fgDim: number;
  bgDim: number;
  numFg: number;
  numBg: number;
}

/**
 * The representation and its two linear heads. The backbone ends in a `featureDim` layer whose
 * first `fgDim` columns are the foreground features and the last `bgDim` the background ones.
 * The cnn backbone centres its [0, 1] pixels to [-2, 2], stacks 3x3 convolutions with ReLU and
 * 2x2 max pooling, then a global max (or average) pool and a linear feature layer. The projection backbone is one linear layer on cached features.
 */
export class InvariantNetwork {
  readonly parameters = new Parameters();

  constructor(
    readonly spec: NetworkSpec,
    random: Random,
  ) {
    const { backbone, inputShape, featureDim } = spec;
    let width = inputShape[inputShape.length - 1];
    if (backbone === "cnn") {
      spec.cnnChannels.forEach((channels, layer) => {
        this.parameters.glorot(`conv${layer}`, [3, 3, width, channels], 9 * width, 9 * channels, random);
        this.parameters.zeros(`conv${layer}Bias`, [channels]);
        width = channels;
      });
    }
    this.parameters.glorot("feature", [width, featureDim], width, featureDim, random);
    this.parameters.zeros("featureBias", [featureDim]);
    this.parameters.glorot("fgHead", [spec.fgDim, spec.numFg], spec.fgDim, spec.numFg, random);
    this.parameters.zeros("fgHeadBias", [spec.numFg]);
    this.parameters.glorot("bgHead", [spec.bgDim, spec.numBg], spec.bgDim, spec.numBg, random);
    this.parameters.zeros("bgHeadBias", [spec.numBg]);
  }

  /** Maps a batch of inputs `[n, ...inputShape]` to features `[n, featureDim]`. */
  features(inputs: tf.Tensor): tf.Tensor2D {
    let hidden: tf.Tensor = inputs;
    if (this.spec.backbone === "cnn") {
      // Centred inputs: 4 (x - 0.5) maps [0, 1] pixels to [-2, 2].
      if (this.spec.centreInputs === true) hidden = tf.mul(tf.sub(hidden, INPUT_CENTRE), INPUT_SCALE);
      const layers = this.spec.cnnChannels.length;
      for (let layer = 0; layer < layers; layer++) {
        const kernel = this.parameters.get(`conv${layer}`) as tf.Tensor4D;
        // The images need no gradient, so the first layer skips it.
        const convolved = conv2dSame(hidden as tf.Tensor4D, kernel, layer > 0);
        hidden = tf.relu(tf.add(convolved, this.parameters.get(`conv${layer}Bias`)));
        if (layer < layers - 1) hidden = tf.maxPool(hidden as tf.Tensor4D, 2, 2, "valid");
      }
      hidden = this.spec.cnnPool === "max" ? tf.max(hidden, [1, 2]) : tf.mean(hidden, [1, 2]);
    }
    const projected = linear(hidden as tf.Tensor2D, this.parameters.get("feature") as tf.Tensor2D);
    return tf.add(projected, this.parameters.get("featureBias"));
  }

  /** Splits features into the foreground part `[n, fgDim]` and the background part `[n, bgDim]`. */
  split(features: tf.Tensor2D): { fg: tf.Tensor2D; bg: tf.Tensor2D } {
    const [fg, bg] = tf.split(features, [this.spec.fgDim, this.spec.bgDim], 1);
    return { fg: fg as tf.Tensor2D, bg: bg as tf.Tensor2D };
  }

  /** Returns the foreground logits `[n, numFg]` and background logits `[n, numBg]`. */
  logits(fg: tf.Tensor2D, bg: tf.Tensor2D): { fg: tf.Tensor2D; bg: tf.Tensor2D } {
    const p = this.parameters;
    return {
      fg: tf.add(linear(fg, p.get("fgHead") as tf.Tensor2D), p.get("fgHeadBias")),
      bg: tf.add(linear(bg, p.get("bgHead") as tf.Tensor2D), p.get("bgHeadBias")),
    };
  }
}
