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
          format: `${event.stage} [{bar}] {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted} {status}`,
          stream: process.stderr,
          noTTYOutput: !process.stderr.isTTY,
          notTTYSchedule: 5000,
          etaBuffer: 50,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(event.total, 0, { rate: "0.00", status: "" });
      startedAt = Date.now();
    }
    if (event.done < lastDone) return;
    lastDone = event.done;
    const seconds = Math.max((Date.now() - startedAt) / 1000, 1e-3);
    bar.setTotal(event.total);
    bar.update(event.done, { rate: (event.done / seconds).toFixed(2), status: event.status ?? "" });
  }) as ProgressListener & { stop(): void };
  let startedAt = Date.now();
  listener.stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return listener;
}
