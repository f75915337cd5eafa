import cliProgress from "cli-progress";

/** A progress event: `done` of `total` units finished, with an optional status line. */
export interface ProgressEvent {
  stage: string;
  done: number;
  total: number;
  status?: string;
}

/** Receives progress events; library calls take one and the CLI draws it as a bar. */
export type ProgressListener = (event: ProgressEvent) => void;

/** A listener that ignores events, the default for library calls. */
export const silentProgress: ProgressListener = () => undefined;

/**
 * Creates a listener that draws a terminal progress bar on stderr with rate and ETA. The bar
 * never moves backwards: an event with a smaller `done` than the last is ignored. When stderr
 * is not a terminal it prints a plain line at most every 5 seconds.
 */
export function terminalProgress(unit = "items"): ProgressListener & { stop(): void } {
  let bar: cliProgress.SingleBar | undefined;
  let stage = "";
  let lastDone = -1;
  const listener = ((event: ProgressEvent) => {
    if (bar === undefined || event.stage !== stage) {
      bar?.stop();
      stage = event.stage;
      lastDone = -1;
      bar = new cliProgress.SingleBar(
        {
          format: `${event.stage} [{bar}] {value}/{total} ${unit} | {rate} ${unit}/s | ETA {etaText}{status}`,
          stream: process.stderr,
          noTTYOutput: !process.stderr.isTTY,
          notTTYSchedule: 5000,
          etaBuffer: 50,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(event.total, 0, { rate: "0.00", etaText: "--", status: "" });
      startedAt = Date.now();
    }
    if (event.done < lastDone) return;
    lastDone = event.done;
    const seconds = Math.max((Date.now() - startedAt) / 1000, 1e-3);
    const rate = event.done / seconds;
    bar.setTotal(event.total);
    bar.update(event.done, {
      rate: rate.toFixed(2),
      etaText: formatEta(event.total - event.done, rate),
      status: event.status === undefined || event.status === "" ? "" : ` | ${event.status}`,
    });
  }) as ProgressListener & { stop(): void };
  let startedAt = Date.now();
  listener.stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return listener;
}

/**
 * Formats the time left as "1h 02m", "3m 05s" or "42s" from the units left and the rate so far.
 * Returns "--" while the rate is still unknown, and "0s" when nothing is left.
 */
export function formatEta(remaining: number, unitsPerSecond: number): string {
  if (remaining <= 0) return "0s";
  if (!(unitsPerSecond > 0) || !Number.isFinite(unitsPerSecond)) return "--";
  const seconds = Math.round(remaining / unitsPerSecond);
  if (seconds >= 3600) {
    return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
  return `${seconds}s`;
}
