import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { writeJsonAtomic, writeFileAtomic } from "../core/atomic.js";
import { UserError } from "../core/errors.js";
import { annotatorAccuracy, votesKappa, type GoldAccuracy } from "./agreement.js";
import { loadVerifyDataset } from "./dataset.js";
import { DEFAULTS, ScreenThresholds, StoreOptions, storePath } from "./options.js";
import { screenedOut } from "./queue.js";
import { renderVerifyReport } from "../report/verify.js";
import { AcceptRule, decideImages, type Decision } from "./rules.js";
import { screenAgreement, type ScreenAgreement } from "./screen-agreement.js";
import { openStore, readGold, readScreen, readVotes } from "./store.js";

export { annotatorAccuracy } from "./agreement.js";

/** Options of `d3s verify consolidate`. */
export const ConsolidateOptions = StoreOptions.extend(ScreenThresholds.shape).extend({
  /** Accept rule (default unanimous). */
  rule: AcceptRule.default("unanimous"),
  /** Votes an image needs before it is decided (default 5). */
  votes: z.coerce.number().int().min(1).max(50).default(DEFAULTS.votes),
  /** Adult/violent flags an accepted image may have (default 0). */
  maxUnsafeFlags: z.coerce.number().int().min(0).default(0),
  /** Annotators below this gold accuracy are left out before deciding (default 0: keep all). */
  minGoldAccuracy: z.coerce.number().min(0).max(1).default(0),
  /** Reject images the screens left out of the queue (as `serve --skip-clear` did). */
  skipClear: z.coerce.boolean().default(false),
  /** Filtered metadata (default `<data>/metadata.verified.json`); never metadata.json itself. */
  out: z.string().min(1).optional(),
  /** Report path without extension; `.json` and `.html` are written (default `<data>/verify-report`). */
  report: z.string().min(1).optional(),
});
export type ConsolidateOptions = z.infer<typeof ConsolidateOptions>;

/** One annotator's line in the report. */
export interface AnnotatorSummary extends GoldAccuracy {
  annotator: string;
  votes: number;
  /** True when the gold accuracy is below `minGoldAccuracy`, so the votes were not used. */
  excluded: boolean;
}

/** Decision counts of one shift. */
export interface ShiftSummary {
  shift: string;
  accepted: number;
  rejected: number;
  pending: number;
  /** accepted / (accepted + rejected); NaN when nothing is decided. */
  acceptanceRate: number;
}

/** The consolidation report, written as JSON and HTML. */
export interface ConsolidateReport {
  rule: AcceptRule;
  votesPerImage: number;
  maxUnsafeFlags: number;
  images: number;
  accepted: number;
  rejected: number;
  pending: number;
  /** accepted / (accepted + rejected); NaN when nothing is decided. */
  acceptanceRate: number;
  kappa: { present: number; unsafe: number };
  annotators: AnnotatorSummary[];
  screens: ScreenAgreement[];
  /** Decisions per shift (the metadata's `shift`), in order of first appearance. */
  shifts: ShiftSummary[];
  /** Filtered metadata.json, filtered metadata.jsonl (when the split has one) and the report. */
  outputs: { metadata: string; jsonl: string; json: string; html: string };
  decisions: Decision[];
}

/**
 * Applies the accept rule to the stored votes, writes the accepted entries as filtered metadata
 * beside the original and writes the report.
 */
export async function consolidate(options: ConsolidateOptions): Promise<ConsolidateReport> {
  // 1. Load the split and the votes; check the output paths before writing anything.
  const dataset = await loadVerifyDataset(options.data);
  const outputs = outputPaths(options, dataset.splitDir, dataset.metadataPath);
  const db = openStore(storePath(options));
  const votes = readVotes(db);
  const gold = readGold(db);
  const nsfw = readScreen(db, "nsfw");
  const clip = readScreen(db, "clip");
  db.close();

  // 2. Score annotators on gold and drop those below the bar.
  const accuracy = annotatorAccuracy(votes, gold);
  const excluded = new Set(
    [...accuracy].filter(([, score]) => score.seen > 0 && score.accuracy < options.minGoldAccuracy).map(([id]) => id),
  );
  const usedVotes = votes.filter((vote) => !excluded.has(vote.annotatorId));

  // 3. Decide each image and compare the screens with the decisions.
  const imageIds = [...dataset.items.keys()];
  const screened = options.skipClear
    ? new Set(imageIds.filter((imageId) => screenedOut(imageId, nsfw, clip, options)))
    : undefined;
  const decisions = decideImages(imageIds, usedVotes, gold, { ...options, screenedOut: screened });
  const screens: ScreenAgreement[] = [];
  if (nsfw.size > 0) screens.push(screenAgreement("nsfw", nsfw, options.nsfwThreshold, decisions));
  if (clip.size > 0) screens.push(screenAgreement("clip", clip, options.clipThreshold, decisions));

  // 4. Write the filtered metadata and the report.
  const accepted = new Set(decisions.filter((d) => d.status === "accepted").map((d) => d.imageId));
  const kept = dataset.entries.filter((entry) => accepted.has(entry.id));
  await writeJsonAtomic(outputs.metadata, kept);
  await filterJsonl(dataset.splitDir, outputs.jsonl, new Set(kept.map((entry) => entry.image)));
  const shifts = shiftSummaries(dataset.entries, decisions);
  const report = buildReport(options, decisions, usedVotes, accuracy, excluded, screens, shifts, outputs);
  await writeJsonAtomic(outputs.json, { ...report, generatedAt: new Date().toISOString() });
  await writeFileAtomic(outputs.html, renderVerifyReport(report));
  return report;
}

/**
 * Writes the accepted lines of `<split>/metadata.jsonl` (the Hugging Face imagefolder metadata)
 * beside the filtered metadata.json, as `<name>.jsonl`. Does nothing when the split has no
 * metadata.jsonl.
 */
async function filterJsonl(splitDir: string, target: string, images: Set<string>): Promise<void> {
  const source = join(splitDir, "metadata.jsonl");
  if (!existsSync(source)) return;
  const lines = (await readFile(source, "utf8")).split("\n").filter((line) => line.trim() !== "");
  const keptLines = lines.filter((line) => {
    try {
      return images.has((JSON.parse(line) as { file_name?: string }).file_name ?? "");
    } catch {
      return false;
    }
  });
  await writeFileAtomic(target, keptLines.map((line) => `${line}\n`).join(""));
}

function outputPaths(
  options: ConsolidateOptions,
  splitDir: string,
  metadataPath: string,
): ConsolidateReport["outputs"] {
  const metadata = resolve(options.out ?? join(splitDir, "metadata.verified.json"));
  const jsonl = `${metadata.replace(/\.json$/, "")}.jsonl`;
  const report = resolve(options.report ?? join(splitDir, "verify-report"));
  const outputs = { metadata, jsonl, json: `${report}.json`, html: `${report}.html` };
  // Inputs that an output must never replace: the original metadata and the vote store.
  const store = resolve(storePath(options));
  const inputs = new Set([resolve(metadataPath), join(splitDir, "metadata.jsonl"), store, `${store}-wal`, `${store}-shm`]);
  const flags = { metadata: "--out", jsonl: "--out", json: "--report", html: "--report" } as const;
  const seen = new Set<string>();
  for (const [key, path] of Object.entries(outputs) as [keyof typeof outputs, string][]) {
    if (inputs.has(path)) {
      throw new UserError(`${flags[key]} would overwrite ${path}, an input of consolidate; choose another file name.`);
    }
    if (seen.has(path)) throw new UserError(`--out and --report both write ${path}; choose different names.`);
    seen.add(path);
  }
  return outputs;
}

function buildReport(
  options: ConsolidateOptions,
  decisions: Decision[],
  votes: ReturnType<typeof readVotes>,
  accuracy: Map<string, GoldAccuracy>,
  excluded: Set<string>,
  screens: ScreenAgreement[],
  shifts: ShiftSummary[],
  outputs: ConsolidateReport["outputs"],
): ConsolidateReport {
  const count = (status: Decision["status"]) => decisions.filter((d) => d.status === status).length;
  const accepted = count("accepted");
  const rejected = count("rejected");
  const voteCounts = new Map<string, number>();
  for (const vote of votes) voteCounts.set(vote.annotatorId, (voteCounts.get(vote.annotatorId) ?? 0) + 1);
  const annotators = [...accuracy]
    .map(([annotator, score]) => ({ annotator, votes: voteCounts.get(annotator) ?? 0, ...score, excluded: excluded.has(annotator) }))
    .sort((a, b) => a.annotator.localeCompare(b.annotator));
  return {
    rule: options.rule,
    votesPerImage: options.votes,
    maxUnsafeFlags: options.maxUnsafeFlags,
    images: decisions.length,
    accepted,
    rejected,
    pending: count("pending"),
    acceptanceRate: accepted / (accepted + rejected),
    kappa: votesKappa(votes),
    annotators,
    screens,
    shifts,
    outputs,
    decisions,
  };
}

function shiftSummaries(entries: { id: string; shift: string }[], decisions: Decision[]): ShiftSummary[] {
  const shiftOf = new Map(entries.map((entry) => [entry.id, entry.shift]));
  const byShift = new Map<string, ShiftSummary>();
  for (const decision of decisions) {
    const shift = shiftOf.get(decision.imageId) ?? "unknown";
    const summary = byShift.get(shift) ?? { shift, accepted: 0, rejected: 0, pending: 0, acceptanceRate: Number.NaN };
    summary[decision.status] += 1;
    summary.acceptanceRate = summary.accepted / (summary.accepted + summary.rejected);
    byShift.set(shift, summary);
  }
  return [...byShift.values()];
}
