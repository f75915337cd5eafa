import { readFile } from "node:fs/promises";
import { z } from "zod";
import { UserError } from "../core/errors.js";

/**
 * A mapping from a model's output indices to a smaller label space, for example ImageNet-1k to
 * the 9 ImageNet-9 classes. `members[t]` lists the model output indices that belong to target
 * label `t`. An output index may belong to at most one target label.
 */
export const ClassMapFile = z
  .object({
    /** Name of the target label space, for example `imagenet-9`. */
    name: z.string().min(1).default("class-map"),
    /** Names of the target labels, for people reading results. Scoring uses indices only. */
    labels: z.array(z.string()).min(1),
    /** For each target label, the model output indices that belong to it. */
    members: z.array(z.array(z.number().int().nonnegative()).min(1)),
  })
  .strict()
  .refine((map) => map.members.length === map.labels.length, {
    message: "members must have one list per label",
  });
export type ClassMapFile = z.infer<typeof ClassMapFile>;

/** A validated class map with the inverse lookup. */
export interface ClassMap extends ClassMapFile {
  /** Target label of each model output index, or -1 when it belongs to none. */
  targetOf(outputIndex: number): number;
  /** The largest model output index that the map names. */
  maxOutput: number;
}

/** Builds a class map from parsed JSON and raises when an output index is listed twice. */
export function buildClassMap(file: ClassMapFile, source: string): ClassMap {
  const targets = new Map<number, number>();
  file.members.forEach((outputs, target) => {
    for (const output of outputs) {
      if (targets.has(output)) {
        throw new UserError(
          `Class map ${source}: output index ${output} is listed under both label ` +
            `${targets.get(output)} and label ${target}. List each output index once.`,
        );
      }
      targets.set(output, target);
    }
  });
  return {
    ...file,
    targetOf: (outputIndex) => targets.get(outputIndex) ?? -1,
    maxOutput: Math.max(...targets.keys()),
  };
}

/** Reads and validates a class-map JSON file. */
export async function loadClassMap(path: string): Promise<ClassMap> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new UserError(`Invalid --class-map ${path}: ${(error as Error).message}. Pass a readable JSON file.`);
  }
  const parsed = ClassMapFile.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "file"}: ${issue.message}`);
    throw new UserError(
      `Invalid --class-map ${path}: ${issues.join("; ")}. Expected {"labels": [...], "members": [[output indices], ...]}.`,
    );
  }
  return buildClassMap(parsed.data, path);
}

/**
 * Scores of the target labels: for each label the largest logit among its member outputs
 * (restricted logits). Returns `count x labels` floats.
 */
export function restrictLogits(
  logits: Float32Array,
  count: number,
  outputs: number,
  map: ClassMap,
): Float32Array {
  const labels = map.members.length;
  const out = new Float32Array(count * labels);
  for (let i = 0; i < count; i++) {
    for (let t = 0; t < labels; t++) {
      let best = -Infinity;
      for (const member of map.members[t]) best = Math.max(best, logits[i * outputs + member]);
      out[i * labels + t] = best;
    }
  }
  return out;
}
