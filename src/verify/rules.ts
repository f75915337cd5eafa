import { z } from "zod";
import { dawidSkene } from "./dawid-skene.js";
import type { GoldAnswer, Vote } from "./store.js";

/** Accept rules: every vote says present (default), more than half say present, or Dawid-Skene. */
export const AcceptRule = z.enum(["unanimous", "majority", "dawid-skene"]);
export type AcceptRule = z.infer<typeof AcceptRule>;

/** The outcome for one image. */
export interface Decision {
  imageId: string;
  status: "accepted" | "rejected" | "pending";
  /** Why: `votes`, `gold`, `screened` (left out of the queue by a screen) or `too few votes`. */
  reason: "votes" | "gold" | "screened" | "too few votes";
  votes: number;
  presentVotes: number;
  unsafeVotes: number;
  /** True when people judged the object present (by the rule), undefined while pending. */
  present?: boolean;
  /** True when more annotators flagged the image than allowed, undefined while pending. */
  unsafe?: boolean;
  /** Dawid-Skene posterior P(present), with that rule only. */
  posterior?: number;
}

/** Options of decideImages. */
export interface DecideOptions {
  rule: AcceptRule;
  /** Votes an image needs before it is decided. */
  votes: number;
  /** Adult/violent flags an accepted image may have (default 0: nobody flags). */
  maxUnsafeFlags: number;
  /** Images that screens left out of the queue; they are rejected unless they have enough votes. */
  screenedOut?: Set<string>;
}

/**
 * Decides every image of the split. Gold images take their known answer. Other images stay
 * pending until they have `votes` votes. Then both the presence rule and the flag rule (at most
 * `maxUnsafeFlags` flags) must pass. The presence rules are `unanimous` (every vote present),
 * `majority` (more than half) and `dawid-skene` (posterior P(present) >= 0.5 from EM over all
 * annotators, with the gold answers fixed).
 */
export function decideImages(
  imageIds: string[],
  votes: Vote[],
  gold: Map<string, GoldAnswer>,
  options: DecideOptions,
): Decision[] {
  const byImage = new Map<string, Vote[]>();
  for (const vote of votes) byImage.set(vote.imageId, [...(byImage.get(vote.imageId) ?? []), vote]);
  const posterior = options.rule === "dawid-skene" ? presencePosterior(votes, gold) : undefined;
  return imageIds.map((imageId) => {
    const imageVotes = byImage.get(imageId) ?? [];
    const tally = {
      imageId,
      votes: imageVotes.length,
      presentVotes: imageVotes.filter((vote) => vote.present).length,
      unsafeVotes: imageVotes.filter((vote) => vote.unsafe).length,
    };
    const known = gold.get(imageId);
    if (known !== undefined) {
      const status = known.present && !known.unsafe ? "accepted" : "rejected";
      return { ...tally, status, reason: "gold", present: known.present, unsafe: known.unsafe };
    }
    if (tally.votes < options.votes) {
      const screened = options.screenedOut?.has(imageId) ?? false;
      return screened
        ? { ...tally, status: "rejected", reason: "screened" }
        : { ...tally, status: "pending", reason: "too few votes" };
    }
    const present = isPresent(options.rule, tally.presentVotes, tally.votes, posterior?.get(imageId));
    const unsafe = tally.unsafeVotes > options.maxUnsafeFlags;
    const status = present && !unsafe ? "accepted" : "rejected";
    return { ...tally, status, reason: "votes", present, unsafe, posterior: posterior?.get(imageId) };
  });
}

function isPresent(rule: AcceptRule, presentVotes: number, votes: number, posterior?: number): boolean {
  if (rule === "unanimous") return presentVotes === votes;
  if (rule === "majority") return presentVotes * 2 > votes;
  return (posterior ?? 0) >= 0.5;
}

function presencePosterior(votes: Vote[], gold: Map<string, GoldAnswer>): Map<string, number> {
  const labels = votes.map((vote) => ({ item: vote.imageId, annotator: vote.annotatorId, value: vote.present }));
  const known = new Map([...gold].map(([imageId, answer]) => [imageId, answer.present]));
  return dawidSkene(labels, { known }).posterior;
}
