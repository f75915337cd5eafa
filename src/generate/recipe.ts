import { readFile, readdir } from "node:fs/promises";
import { basename, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { LineCounter, parseDocument, type Document } from "yaml";
import { z } from "zod";
import { UserError } from "../core/errors.js";

/** Placeholders every template may use besides its recipe's option keys. */
export const CLASS_PLACEHOLDERS = ["class_name", "definition"] as const;

const OPTION_KEY = /^[a-z][a-z0-9_]*$/;
const PLACEHOLDER = /\$\{([^}]*)\}/g;

const RecipeSchema = z
  .object({
    /** Shift name; also the output sub-folder, so it must be a plain folder name. */
    shift: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, "use lowercase letters, digits, '.', '_' or '-'"),
    /** Prompt templates with `${placeholder}` fields. */
    templates: z.array(z.string().min(1)).min(1),
    /** Option lists; every combination of one value per key (and one template) is an item. */
    options: z
      .record(
        z.string().regex(OPTION_KEY, "option keys are lowercase words such as background"),
        z.array(z.union([z.string().min(1), z.number()]).transform(String)).min(1),
      )
      .default({}),
  })
  .strict();

/** A prompt recipe: a shift name, templates and option lists. */
export interface Recipe {
  shift: string;
  templates: string[];
  options: Record<string, string[]>;
  /** File the recipe was read from. */
  source: string;
}

/** One expansion of a recipe: a template and one value per option key. */
export interface RecipeVariant {
  /** Position in the recipe's expansion order, part of the item id. */
  index: number;
  template: string;
  values: Record<string, string>;
}

const BUILT_IN_FOLDER = fileURLToPath(new URL("./recipes/", import.meta.url));

/** Returns the names of the recipes shipped with d3s. */
export async function builtInRecipeNames(): Promise<string[]> {
  const files = await readdir(BUILT_IN_FOLDER);
  return files
    .filter((file) => file.endsWith(".yaml"))
    .map((file) => basename(file, ".yaml"))
    .sort();
}

/**
 * Loads a recipe by built-in name (`background-shift`) or by the path of a YAML file. Raises a
 * UserError that names the file, the key and the line of any invalid value.
 */
export async function loadRecipe(nameOrPath: string): Promise<Recipe> {
  const builtIn = await builtInRecipeNames();
  const isPath = extname(nameOrPath) === ".yaml" || extname(nameOrPath) === ".yml";
  if (!isPath && !builtIn.includes(nameOrPath)) {
    throw new UserError(
      `Unknown recipe "${nameOrPath}". Use one of ${builtIn.join(", ")} or the path of a .yaml file.`,
    );
  }
  const path = isPath ? nameOrPath : `${BUILT_IN_FOLDER}${nameOrPath}.yaml`;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UserError(`Cannot read recipe ${path}: ${(error as Error).message}`);
  }
  return parseRecipe(text, path);
}

/** Parses and checks recipe YAML text; `source` names the file in error messages. */
export function parseRecipe(text: string, source: string): Recipe {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntaxError = document.errors[0];
  if (syntaxError !== undefined) {
    const line = lineCounter.linePos(syntaxError.pos[0]).line;
    throw new UserError(`Invalid recipe ${source} line ${line}: ${firstLine(syntaxError.message)}`);
  }
  const parsed = RecipeSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map((part) => (typeof part === "symbol" ? String(part) : part));
    const key = path.length > 0 ? path.join(".") : "(top level)";
    const line = lineOf(document, lineCounter, path);
    throw new UserError(`Invalid recipe ${source} line ${line}: key "${key}": ${issue.message}.`);
  }
  const recipe = { ...parsed.data, source };
  checkPlaceholders(recipe, document, lineCounter);
  return recipe;
}

/** Checks that templates name only known placeholders and that every option is used. */
function checkPlaceholders(recipe: Recipe, document: Document, lineCounter: LineCounter): void {
  const known = new Set<string>([...CLASS_PLACEHOLDERS, ...Object.keys(recipe.options)]);
  const used = new Set<string>();
  recipe.templates.forEach((template, index) => {
    for (const [, name] of template.matchAll(PLACEHOLDER)) {
      used.add(name);
      if (known.has(name)) continue;
      const line = lineOf(document, lineCounter, ["templates", index]);
      throw new UserError(
        `Invalid recipe ${recipe.source} line ${line}: key "templates.${index}" uses \${${name}}, ` +
          `which is neither ${CLASS_PLACEHOLDERS.join(" nor ")} nor an option key ` +
          `(${Object.keys(recipe.options).join(", ") || "none defined"}).`,
      );
    }
  });
  for (const key of Object.keys(recipe.options)) {
    if (used.has(key)) continue;
    const line = lineOf(document, lineCounter, ["options", key]);
    throw new UserError(
      `Invalid recipe ${recipe.source} line ${line}: key "options.${key}" is used by no template; ` +
        `add \${${key}} to a template or remove the option.`,
    );
  }
}

/** Returns the 1-based line of the deepest node on `path` that exists. */
function lineOf(
  document: Document,
  lineCounter: LineCounter,
  path: Array<string | number>,
): number {
  for (let length = path.length; length >= 0; length--) {
    const node = document.getIn(path.slice(0, length), true) as {
      range?: [number, number, number];
    };
    if (node?.range !== undefined) return lineCounter.linePos(node.range[0]).line;
  }
  return 1;
}

function firstLine(message: string): string {
  return message.split("\n")[0];
}

/**
 * Lists a recipe's variants: every template combined with every choice of one value per
 * option key, in file order (the last key varies fastest).
 */
export function expandRecipe(recipe: Recipe): RecipeVariant[] {
  let combinations: Array<Record<string, string>> = [{}];
  for (const [key, values] of Object.entries(recipe.options)) {
    combinations = combinations.flatMap((partial) =>
      values.map((value) => ({ ...partial, [key]: value })),
    );
  }
  const variants: RecipeVariant[] = [];
  for (const template of recipe.templates) {
    for (const values of combinations) variants.push({ index: variants.length, template, values });
  }
  return variants;
}

/** Fills a template's `${name}` fields from `values`; a missing value is an error. */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`Template "${template}" needs a value for ${name}.`);
    return value;
  });
}
