import type { ClassMap } from "./class-map.js";
import type { ModelPredictions } from "./classify.js";
import type { EvalItem } from "./datasets.js";

/**
 * Score space of a prediction. `full`: the argmax over all model outputs against the label
 * (ImageNet-1k index). `mapped`: the same full argmax, mapped through the class map. `restricted`:
 * the argmax over the class map's labels, each scored by its best member logit.
 */
export type ScoreSpace = "full" | "mapped" | "restricted";

/** Label space of the dataset labels: model outputs or the class map's labels. */
export type LabelSpace = "model" | "target";

/** Per-image correctness of one model in one score space, over the images that count. */
export interface ScoredImages {
  space: ScoreSpace;
  /** Dataset item index of each scored image. */
  items: Int32Array;
  /** Scored label of each image in the space's label set. */
  labels: Int32Array;
  top1: Uint8Array;
  top5: Uint8Array;
  /** Readable images left out because their label has no class-map label. */
  unmapped: number;
}

/** Returns the score spaces that apply: `full` needs model-space labels, the others a class map. */
export function scoreSpaces(labelSpace: LabelSpace, classMap: ClassMap | undefined): ScoreSpace[] {
  const spaces: ScoreSpace[] = [];
  if (labelSpace === "model") spaces.push("full");
  if (classMap) spaces.push("mapped", "restricted");
  return spaces;
}

/**
 * Scores every readable image by index: a prediction is right when its index equals the
 * label's index, never by comparing names (CLIP's ImageNet names repeat, e.g. two "crane"s).
 */
export function scoreImages(
  items: EvalItem[],
  readable: Uint8Array,
  predictions: ModelPredictions,
  space: ScoreSpace,
  labelSpace: LabelSpace,
  classMap: ClassMap | undefined,
): ScoredImages {
  const indices: number[] = [];
  const labels: number[] = [];
  const top1: number[] = [];
  const top5: number[] = [];
  let unmapped = 0;
  const toTarget = (label: number) => (labelSpace === "target" ? label : classMap!.targetOf(label));
  items.forEach((item, i) => {
    if (!readable[i]) return;
    const ranked = Array.from(
      space === "restricted" ? predictions.restrictedTop5!.subarray(i * 5, i * 5 + 5) : predictions.top5.subarray(i * 5, i * 5 + 5),
    );
    const label = space === "full" ? item.label : toTarget(item.label);
    if (label < 0) {
      unmapped += 1;
      return;
    }
    let guesses = ranked;
    if (space === "mapped") guesses = ranked.map((output) => (output < 0 ? -1 : classMap!.targetOf(output)));
    indices.push(i);
    labels.push(label);
    top1.push(guesses[0] === label ? 1 : 0);
    top5.push(guesses.includes(label) ? 1 : 0);
  });
  return {
    space,
    items: Int32Array.from(indices),
    labels: Int32Array.from(labels),
    top1: Uint8Array.from(top1),
    top5: Uint8Array.from(top5),
    unmapped,
  };
}
