import type { Decision } from "./rules.js";

/** Agreement of one screen with the human decisions at its threshold. */
export interface ScreenAgreement {
  screen: string;
  threshold: number;
  /** Images with both a score and a decision from votes. */
  images: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** TP / (TP + FP): share of screen flags that people confirmed; NaN without flags. */
  precision: number;
  /** TP / (TP + FN): share of human rejections the screen caught; NaN without any. */
  recall: number;
}

/**
 * Compares a screen with the decisions made from votes. For `nsfw`, a flag is a score at or
 * above the threshold and the truth is the human adult/violent flag. For `clip`, a flag is a
 * similarity below the threshold and the truth is "object absent".
 */
export function screenAgreement(
  screen: "nsfw" | "clip",
  scores: Map<string, number>,
  threshold: number,
  decisions: Decision[],
): ScreenAgreement {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  let images = 0;
  for (const decision of decisions) {
    const score = scores.get(decision.imageId);
    if (score === undefined || decision.reason !== "votes") continue;
    images += 1;
    const flagged = screen === "nsfw" ? score >= threshold : score < threshold;
    const truth = screen === "nsfw" ? decision.unsafe === true : decision.present === false;
    if (flagged && truth) truePositives += 1;
    else if (flagged) falsePositives += 1;
    else if (truth) falseNegatives += 1;
  }
  return {
    screen,
    threshold,
    images,
    truePositives,
    falsePositives,
    falseNegatives,
    precision: truePositives / (truePositives + falsePositives),
    recall: truePositives / (truePositives + falseNegatives),
  };
}
