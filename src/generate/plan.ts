import { parse } from "node:path";
import { UserError } from "../core/errors.js";
import { Random, itemSeed } from "../core/rng.js";
import { backgroundKey } from "../data/backgrounds.js";
import type { ClassInfo } from "../data/imagenet.js";
import type { Shard } from "./options.js";
import { expandRecipe, renderTemplate, type Recipe } from "./recipe.js";
import { findMask, type BackgroundPhotos, type ForegroundClass } from "./sources.js";

/** Kind of an item's image: the guide (composite or img2img) or an ImageNet-9-style variant. */
export type ItemKind = "guide" | "only-fg" | "mixed-rand";

/** One image to generate. Paths are relative to their root folders, so the plan is portable. */
export interface PlanItem {
  /** `<shift>/<name>`: the image is `<out>/<split>/<id>.png`. */
  id: string;
  shift: string;
  kind: ItemKind;
  classFolder: string;
  classInfo: ClassInfo;
  /** Foreground photo, relative to the foregrounds folder. */
  foreground: string;
  /** Background photo, relative to the backgrounds folder; none for only-fg. */
  background?: string;
  /** Mask file relative to the masks folder, `model` for the mask model, or none. */
  mask?: string;
  /** Reason the item cannot run (for example a missing mask); such items are skipped and reported. */
  problem?: string;
  prompt: string;
  /** Background phrase of the prompt (`in snow`); empty when the recipe has none. */
  backgroundPhrase: string;
  /** Item seed from the run seed and the id. */
  seed: string;
}

/** Inputs of planItems. */
export interface PlanInput {
  recipes: Recipe[];
  foregrounds: ForegroundClass[];
  backgrounds: BackgroundPhotos;
  /** Mask files by class folder; undefined when masks come from no folder. */
  maskFiles?: Map<string, string[]>;
  /** Whether a mask model supplies the masks. */
  maskModel: boolean;
  /** Whether to add only-fg and mixed-rand items (composite generator with masks). */
  variants: boolean;
  runSeed: number;
}

/**
 * Lists every item of a run in a fixed order: recipe, class, photo, recipe variant; then the
 * only-fg and mixed-rand variants. Ids, seeds and background photos depend only on the inputs,
 * so every machine and every restart computes the same plan.
 */
export function planItems(input: PlanInput): PlanItem[] {
  const items: PlanItem[] = [];
  const allBackgrounds = [...input.backgrounds.values()].flat();
  for (const recipe of input.recipes) {
    const variants = expandRecipe(recipe);
    const width = String(variants.length - 1).length;
    for (const foregroundClass of input.foregrounds) {
      for (const file of foregroundClass.files) {
        for (const variant of variants) {
          const name = `${photoName(foregroundClass.folder, file)}_${String(variant.index).padStart(width, "0")}`;
          const id = `${recipe.shift}/${name}`;
          const seed = itemSeed(input.runSeed, id);
          const phrase = variant.values.background ?? "";
          const pool =
            phrase === "" ? allBackgrounds : backgroundPool(input.backgrounds, phrase, recipe);
          const prompt = renderTemplate(variant.template, {
            ...variant.values,
            class_name: foregroundClass.info.name,
            definition: foregroundClass.info.definition,
          });
          items.push({
            ...foregroundFields(input, foregroundClass, file),
            id,
            shift: recipe.shift,
            kind: "guide",
            background: pickBackground(pool, seed),
            prompt,
            backgroundPhrase: phrase,
            seed,
          });
        }
      }
    }
  }
  if (input.variants) items.push(...planVariants(input, allBackgrounds));
  return items;
}

/** Plans one only-fg and one mixed-rand item per foreground photo. */
function planVariants(input: PlanInput, allBackgrounds: string[]): PlanItem[] {
  const items: PlanItem[] = [];
  for (const kind of ["only-fg", "mixed-rand"] as const) {
    for (const foregroundClass of input.foregrounds) {
      for (const file of foregroundClass.files) {
        const id = `${kind}/${photoName(foregroundClass.folder, file)}`;
        const seed = itemSeed(input.runSeed, id);
        items.push({
          ...foregroundFields(input, foregroundClass, file),
          id,
          shift: kind,
          kind,
          background: kind === "mixed-rand" ? pickBackground(allBackgrounds, seed) : undefined,
          prompt: "",
          backgroundPhrase: "",
          seed,
        });
      }
    }
  }
  return items;
}

function foregroundFields(input: PlanInput, foregroundClass: ForegroundClass, file: string) {
  const foreground = `${foregroundClass.folder}/${file}`;
  let mask: string | undefined;
  let problem: string | undefined;
  if (input.maskModel) mask = "model";
  if (input.maskFiles !== undefined) {
    mask = findMask(input.maskFiles, foregroundClass.folder, file);
    if (mask === undefined) {
      problem = `mask not found: expected ${foregroundClass.folder}/${parse(file).name}.png in the masks folder`;
    }
  }
  return {
    classFolder: foregroundClass.folder,
    classInfo: foregroundClass.info,
    foreground,
    mask,
    problem,
  };
}

/** Returns `<class folder>_<photo stem>` with characters outside [A-Za-z0-9._-] replaced. */
export function photoName(classFolder: string, file: string): string {
  return `${classFolder}_${parse(file).name}`.replace(/[^A-Za-z0-9._-]/g, "_");
}

function backgroundPool(backgrounds: BackgroundPhotos, phrase: string, recipe: Recipe): string[] {
  const key = backgroundKey(phrase);
  const pool = backgrounds.get(key);
  if (pool === undefined) {
    throw new UserError(
      `Recipe ${recipe.source} uses the background "${phrase}", but the backgrounds folder has ` +
        `no photos in ${key}/. Add photos there, or remove "${phrase}" from the recipe.`,
    );
  }
  return pool;
}

function pickBackground(pool: string[], seed: string): string {
  return pool[new Random(`${seed}/background`).int(pool.length)];
}

/** Keeps the items of one shard: positions p in the plan with p mod count = index. */
export function shardItems(items: PlanItem[], shard: Shard): PlanItem[] {
  return items.filter((_, position) => position % shard.count === shard.index);
}

/** Raises when two items share an id, for example photos `a.jpg` and `a.png` in one class. */
export function checkUniqueIds(items: PlanItem[]): void {
  const seen = new Map<string, string>();
  for (const item of items) {
    const previous = seen.get(item.id);
    if (previous !== undefined && previous !== item.foreground) {
      throw new UserError(
        `Photos ${previous} and ${item.foreground} give the same item id ${item.id}. ` +
          "Rename one of them so that photo names differ without their extensions.",
      );
    }
    seen.set(item.id, item.foreground);
  }
}
