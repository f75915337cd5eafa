import { readFileSync } from "node:fs";
import { z } from "zod";

/** One ImageNet-1k class: standard index, WordNet id, first synonym and WordNet gloss. */
export const ClassInfo = z.object({
  /** Position in the standard order (the WordNet ids sorted), 0-999. */
  index: z.number().int().min(0).max(999),
  /** WordNet 3.0 noun id, for example `n01440764`; also the ImageNet train folder name. */
  wnid: z.string().regex(/^n\d{8}$/),
  /** First synonym of the synset, for example `tench`. Two names repeat: crane and maillot. */
  name: z.string(),
  /** Every synonym of the synset, in WordNet order. */
  synonyms: z.array(z.string()),
  /** WordNet definition without its usage examples. */
  definition: z.string(),
});
export type ClassInfo = z.infer<typeof ClassInfo>;

let cached: ClassInfo[] | undefined;

/**
 * Returns the 1000 ImageNet-1k classes in standard order. The table is built from Debian's
 * darknet and wordnet-base packages by scripts/build-imagenet-classes.mjs.
 */
export function imagenetClasses(): ClassInfo[] {
  if (cached === undefined) {
    const url = new URL("./imagenet-classes.json", import.meta.url);
    cached = z
      .array(ClassInfo)
      .length(1000)
      .parse(JSON.parse(readFileSync(url, "utf8")));
  }
  return cached;
}

/** Returns the class of a WordNet id, or undefined when it is not an ImageNet-1k class. */
export function classByWnid(wnid: string): ClassInfo | undefined {
  return wnidIndex().get(wnid);
}

let byWnid: Map<string, ClassInfo> | undefined;

function wnidIndex(): Map<string, ClassInfo> {
  byWnid ??= new Map(imagenetClasses().map((entry) => [entry.wnid, entry]));
  return byWnid;
}
