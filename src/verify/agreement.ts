import { fleissKappa } from "./fleiss.js";
import type { GoldAnswer, Vote } from "./store.js";

/** An annotator's record on gold images. */
export interface GoldAccuracy {
  seen: number;
  correct: number;
  /** correct / seen, or NaN when the annotator saw no gold image. */
  accuracy: number;
}

/**
 * Scores each annotator on the gold images: an answer is correct when both the presence and
 * the adult/violent answer match the known ones.
 */
export function annotatorAccuracy(votes: Vote[], gold: Map<string, GoldAnswer>): Map<string, GoldAccuracy> {
  const scores = new Map<string, GoldAccuracy>();
  for (const vote of votes) {
    const entry = scores.get(vote.annotatorId) ?? { seen: 0, correct: 0, accuracy: Number.NaN };
    const known = gold.get(vote.imageId);
    if (known !== undefined) {
      entry.seen += 1;
      if (known.present === vote.present && known.unsafe === vote.unsafe) entry.correct += 1;
      entry.accuracy = entry.correct / entry.seen;
    }
    scores.set(vote.annotatorId, entry);
  }
  return scores;
}

/** Fleiss' kappa of the presence and the adult/violent answers over images with two or more votes. */
export function votesKappa(votes: Vote[]): { present: number; unsafe: number } {
  const present = new Map<string, [number, number]>();
  const unsafe = new Map<string, [number, number]>();
  for (const vote of votes) {
    const p = present.get(vote.imageId) ?? [0, 0];
    p[vote.present ? 0 : 1] += 1;
    present.set(vote.imageId, p);
    const u = unsafe.get(vote.imageId) ?? [0, 0];
    u[vote.unsafe ? 0 : 1] += 1;
    unsafe.set(vote.imageId, u);
  }
  return { present: fleissKappa([...present.values()]), unsafe: fleissKappa([...unsafe.values()]) };
}
