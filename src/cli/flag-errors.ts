import type { Command } from "commander";
import { invalidOption, OptionError, type OptionNamer } from "../core/option-error.js";

/**
 * Returns a namer that gives each option key of `command` its long flag, so `learningRate`
 * becomes `--learning-rate`. `aliases` names options the command derives from a flag (for
 * example a checkpoint folder inside `--out`). Other keys keep their name.
 */
export function flagNamer(command: Command, aliases: Record<string, string> = {}): OptionNamer {
  const flags = new Map<string, string>(Object.entries(aliases));
  for (const option of command.options) {
    if (option.long !== undefined) flags.set(option.attributeName(), option.long);
  }
  return (key) => flags.get(key) ?? key;
}

/**
 * Wraps a commander action so that an OptionError thrown anywhere inside it names every option
 * by the flag of that command, as the user typed it.
 */
export function withFlagNames<Flags>(
  action: (flags: Flags, command: Command) => Promise<void>,
  aliases: Record<string, string> = {},
): (flags: Flags, command: Command) => Promise<void> {
  return async (flags, command) => {
    try {
      await action(flags, command);
    } catch (error) {
      if (error instanceof OptionError) throw error.withNames(flagNamer(command, aliases));
      throw error;
    }
  };
}

/** Converts the text of a numeric flag. The error names the option by `key` until renamed. */
export function numberFlag(key: string, text: string): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value)) {
    throw invalidOption("option", key, text, () => "expected a number");
  }
  return value;
}

/** Converts an optional numeric flag; undefined stays undefined. */
export function optionalNumberFlag(key: string, text: unknown): number | undefined {
  return text === undefined ? undefined : numberFlag(key, String(text));
}

/** Converts a comma-separated list of numbers, such as `0.5,0.9,0.99`. */
export function numberListFlag(key: string, text: string): number[] {
  const items = text.split(",");
  const bad = items.findIndex((item) => item.trim() === "" || !Number.isFinite(Number(item)));
  if (bad >= 0) {
    throw invalidOption(
      "option",
      key,
      text,
      () => `expected comma-separated numbers, but item ${bad + 1} is "${items[bad]}"`,
    );
  }
  return items.map(Number);
}
