import type { LearnData } from "../../learn/data.js";
import type { MiniSplit } from "./dataset.js";

/** Converts a mini split to training data: HWC images scaled to [0, 1], 10 + 10 labels. */
export function miniLearnData(split: MiniSplit): LearnData {
  const inputs = new Float32Array(split.images.length);
  for (let i = 0; i < inputs.length; i++) inputs[i] = split.images[i] / 255;
  return {
    inputs,
    inputShape: [split.size, split.size, 3],
    fgLabels: split.fgLabels,
    bgLabels: split.bgLabels,
    numFg: split.classNames.length,
    numBg: split.backgroundNames.length,
  };
}
