import type { HistoryEntry } from "./model.js";
import type { ProbeResult } from "./probe.js";
import type { SpuriousResult } from "./spurious.js";

/** Names of the two trained models. */
export type DemoModel = "penalised" | "unpenalised";

/** One expectation of the method on the mini dataset, with the measured value. */
export interface Expectation {
  name: string;
  target: string;
  measured: number;
  met: boolean;
}

/** The content of results.json. */
export interface DemoResults {
  version: 1;
  createdAt: string;
  settings: Record<string, unknown>;
  dataset: {
    imageSize: number;
    classNames: string[];
    backgroundNames: string[];
    splitSizes: Record<string, number>;
  };
  training: Record<
    DemoModel,
    { seconds: number; history: HistoryEntry[]; fgDim: number; bgDim: number }
  >;
  probes: Record<DemoModel, ProbeResult[]>;
  /** Both heads of both models at the demo's correlation. */
  spurious: SpuriousResult[];
  /** Both heads of both models at every correlation of the sweep. */
  sweep: SpuriousResult[];
  expectations: Expectation[];
  /** Wall time of each stage and of the whole demo, in seconds. */
  timings: Record<string, number>;
  /** A PNG (base64) of one example image per class and background, for the report. */
  samplePng?: string;
}

/** Checks the targets the method should reach on the mini dataset. */
export function checkExpectations(
  results: Pick<DemoResults, "probes" | "spurious">,
): Expectation[] {
  const probe = (model: DemoModel, features: string, target: string) =>
    results.probes[model].find((r) => r.features === features && r.target === target)?.top1 ??
    Number.NaN;
  const anti = (head: string, model: DemoModel = "penalised") =>
    results.spurious.find((r) => r.model === model && r.head === head)?.anti.accuracy ??
    Number.NaN;
  const gap = anti("invariant") - anti("erm");
  const plainGap = anti("invariant") - anti("erm", "unpenalised");
  const rows: Array<[string, string, number, boolean]> = [
    [
      "fg -> fg probe (penalised)",
      ">= 80%",
      probe("penalised", "fg", "fg"),
      probe("penalised", "fg", "fg") >= 0.8,
    ],
    [
      "bg -> bg probe (penalised)",
      ">= 90%",
      probe("penalised", "bg", "bg"),
      probe("penalised", "bg", "bg") >= 0.9,
    ],
    [
      "fg -> bg probe (penalised)",
      "<= 20% (2x chance)",
      probe("penalised", "fg", "bg"),
      probe("penalised", "fg", "bg") <= 0.2,
    ],
    [
      "bg -> fg probe (penalised)",
      "<= 20% (2x chance)",
      probe("penalised", "bg", "fg"),
      probe("penalised", "bg", "fg") <= 0.2,
    ],
    [
      "fg -> bg probe (unpenalised)",
      "above the penalised model",
      probe("unpenalised", "fg", "bg"),
      probe("unpenalised", "fg", "bg") > probe("penalised", "fg", "bg"),
    ],
    [
      "bg -> fg probe (unpenalised)",
      "above the penalised model",
      probe("unpenalised", "bg", "fg"),
      probe("unpenalised", "bg", "fg") > probe("penalised", "bg", "fg"),
    ],
    ["invariant head minus ERM (both penalised), anti-correlated split", ">= 15 points", gap, gap >= 0.15],
    [
      "invariant head (penalised) minus ERM (unpenalised), anti-correlated split",
      ">= 15 points",
      plainGap,
      plainGap >= 0.15,
    ],
  ];
  return rows.map(([name, target, measured, met]) => ({ name, target, measured, met }));
}
