import cliProgress from "cli-progress";

/** A progress event: `done` of `total` units finished, with an optional status line. */
export interface ProgressEvent {
  stage: string;
  done: number;
  total: number;
  status?: string;
  /** Name of the unit counted, overriding the listener's (for example "steps"). */
  unit?: string;
}

/** Receives progress events; library calls take one and the CLI draws it as a bar. */
export type ProgressListener = (event: ProgressEvent) => void;

/** A listener that ignores events, the default for library calls. */
export const silentProgress: ProgressListener = () => undefined;

/** Seconds between two plain progress lines when stderr is not a terminal. */
const PLAIN_LINE_SECONDS = 5;

/**
 * Creates a listener that draws a terminal progress bar on stderr with rate and ETA. The bar
 * never moves backwards: an event with a smaller `done` than the last is ignored. When stderr
 * is not a terminal it prints a plain line per stage at most every 5 seconds, and at the end.
 * These lines are written on events rather than by a timer, so they also appear while
 * synchronous work such as training blocks the event loop.
 */
export function terminalProgress(unit = "items"): ProgressListener & { stop(): void } {
  const terminal = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let stage = "";
  let lastDone = -1;
  let startedAt = Date.now();
  let printedAt = 0;
  const listener = ((event: ProgressEvent) => {
    const eventUnit = event.unit ?? unit;
    if (event.stage !== stage || (terminal && bar === undefined)) {
      bar?.stop();
      bar = undefined;
      stage = event.stage;
      lastDone = -1;
      startedAt = Date.now();
      printedAt = 0;
      if (terminal) {
        bar = new cliProgress.SingleBar(
          {
            format: `${event.stage} [{bar}] {value}/{total} ${eventUnit} | {rate} ${eventUnit}/s | ETA {etaText}{status}`,
            stream: process.stderr,
            etaBuffer: 50,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(event.total, 0, { rate: "0.00", etaText: "--", status: "" });
      }
    }
    if (event.done < lastDone) return;
    lastDone = event.done;
    const seconds = (Date.now() - startedAt) / 1000;
    // The first event of a stage starts its clock, so a rate needs some time behind it.
    const rate = seconds >= 1 ? event.done / seconds : Number.NaN;
    const etaText = formatEta(event.total - event.done, rate);
    const rateText = Number.isNaN(rate) ? "--" : rate.toFixed(2);
    const status = event.status === undefined || event.status === "" ? "" : ` | ${event.status}`;
    if (bar !== undefined) {
      bar.setTotal(event.total);
      bar.update(event.done, { rate: rateText, etaText, status });
      return;
    }
    const finished = event.done >= event.total;
    if (!finished && Date.now() - printedAt < PLAIN_LINE_SECONDS * 1000) return;
    printedAt = Date.now();
    process.stderr.write(
      `${event.stage} ${event.done}/${event.total} ${eventUnit} | ${rateText} ` +
        `${eventUnit}/s | ETA ${etaText}${status}\n`,
    );
  }) as ProgressListener & { stop(): void };
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
