import { z } from "zod";
import { UserError } from "./errors.js";

/** Names an option in a message: library callers see its key, the CLI shows its flag. */
export type OptionNamer = (key: string) => string;

/** The namer of library callers: every option keeps its key (`learningRate`). */
export const optionKey: OptionNamer = (key) => key;

/**
 * A UserError about option values whose message is written for a chosen way of naming
 * options. Its own message names them by key, and the CLI calls `withNames` to name them by
 * the flags the user typed (`--learning-rate`).
 */
export class OptionError extends UserError {
  constructor(readonly render: (name: OptionNamer) => string) {
    super(render(optionKey));
  }

  /** Returns the same error with every option named by `name`. */
  withNames(name: OptionNamer): UserError {
    return new UserError(this.render(name));
  }
}

/**
 * Returns an OptionError for one invalid option: "Invalid <scope> <key> <value>: <detail>.".
 * Leave `value` undefined when `detail` already shows it.
 */
export function invalidOption(
  scope: string,
  key: string,
  value: unknown,
  detail: (name: OptionNamer) => string,
): OptionError {
  return new OptionError((name) => {
    const label = name === optionKey ? `${scope} ${key}` : name(key);
    const valueText = value === undefined ? "" : ` ${formatOptionValue(value)}`;
    return `Invalid ${label}${valueText}: ${detail(name)}.`;
  });
}

/**
 * Converts the first issue of a failed zod parse of an options object into an OptionError
 * that names the option, the value received and the values `schema` allows (with its default).
 */
export function zodOptionError(
  scope: string,
  schema: z.ZodObject,
  input: object,
  error: z.ZodError,
): UserError {
  const issue = error.issues[0];
  const [key, index] = issue.path;
  if (typeof key !== "string") return new UserError(`Invalid ${scope}s: ${issue.message}.`);
  const field = schema.shape[key] as z.ZodType | undefined;
  const value = (input as Record<string, unknown>)[key];
  const allowed = field === undefined ? undefined : describeField(field);
  if (allowed === undefined) return invalidOption(scope, key, value, () => issue.message);
  const fallback = field === undefined ? "" : defaultText(field);
  const item =
    typeof index === "number" && Array.isArray(value)
      ? `, but item ${index + 1} is ${formatOptionValue(value[index])}`
      : "";
  return invalidOption(scope, key, value, () => `expected ${allowed}${fallback}${item}`);
}

/** Formats a value as the user typed it: numbers plain, lists comma-separated, text quoted. */
export function formatOptionValue(value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => formatListItem(item)).join(",");
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

function formatListItem(item: unknown): string {
  return typeof item === "string" ? item : formatOptionValue(item);
}

/** Describes what a zod field accepts, or returns undefined for kinds it does not cover. */
function describeField(field: z.ZodType): string | undefined {
  const inner = unwrap(field);
  if (inner instanceof z.ZodNumber) return describeNumber(inner);
  if (inner instanceof z.ZodEnum) return `one of ${inner.options.join(", ")}`;
  if (inner instanceof z.ZodBoolean) return "true or false";
  if (inner instanceof z.ZodArray) {
    const element = describeField(inner.element as z.ZodType);
    if (element === undefined) return undefined;
    const minimum = checksOf(inner).find((check) => check.check === "min_length")?.minimum ?? 0;
    const count = minimum <= 1 ? "one or more values" : `at least ${minimum} values`;
    return `${count}, each ${element}`;
  }
  return undefined;
}

/** Describes a number field: "a whole number of at least 1", "a number from 0 to 1". */
function describeNumber(field: z.ZodNumber): string {
  const kind = field.isInt ? "a whole number" : "a number";
  const checks = checksOf(field);
  const low = checks.find((check) => check.check === "greater_than");
  const high = checks.find((check) => check.check === "less_than");
  if (low?.inclusive && high?.inclusive) return `${kind} from ${low.value} to ${high.value}`;
  const bounds = [
    low === undefined ? "" : `${low.inclusive ? "of at least" : "above"} ${low.value}`,
    high === undefined ? "" : `${high.inclusive ? "at most" : "below"} ${high.value}`,
  ].filter(Boolean);
  return [kind, bounds.join(" and ")].filter(Boolean).join(" ");
}

interface CheckDefinition {
  check: string;
  value?: number;
  inclusive?: boolean;
  minimum?: number;
}

function checksOf(field: z.ZodType): CheckDefinition[] {
  return (field.def.checks ?? []).map((check) => check._zod.def as unknown as CheckDefinition);
}

function unwrap(field: z.ZodType): z.ZodType {
  let inner = field;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) {
    inner = inner.unwrap() as z.ZodType;
  }
  return inner;
}

function defaultText(field: z.ZodType): string {
  if (!(field instanceof z.ZodDefault)) return "";
  return ` (default ${formatListItem(field.def.defaultValue)})`;
}
