import { pino, type Logger } from "pino";

/**
 * The logger every module writes to. Callers embedding d3s replace it with `setLogger`;
 * the CLI sets the level from `--log-level` (default `info`, written to stderr).
 */
let current: Logger = pino(
  { level: process.env.D3S_LOG_LEVEL ?? "warn", base: undefined },
  pino.destination(2),
);

/** Returns the active logger. */
export function logger(): Logger {
  return current;
}

/** Replaces the logger, for example with a test logger that captures records. */
export function setLogger(next: Logger): void {
  current = next;
}
