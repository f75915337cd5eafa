import type { ConsolidateReport } from "../verify/consolidate.js";
import { barChart } from "./charts.js";
import { figure, page, paragraph, table } from "./html.js";

function percent(value: number): string {
  return Number.isFinite(value) ? `${(100 * value).toFixed(1)}%` : "n/a";
}

/** Rejected and pending images listed in the page; the JSON report has every decision. */
const LISTED_DECISIONS = 500;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function decimal(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : "n/a";
}

/** Renders the consolidation report as a self-contained HTML page. */
export function renderVerifyReport(report: ConsolidateReport): string {
  const summary = table({
    columns: ["images", "accepted", "rejected", "pending", "acceptance rate", "kappa (present)", "kappa (adult/violent)"],
    rows: [
      [
        report.images,
        report.accepted,
        report.rejected,
        report.pending,
        percent(report.acceptanceRate),
        decimal(report.kappa.present),
        decimal(report.kappa.unsafe),
      ],
    ],
  });
  const withGold = report.annotators.filter((annotator) => annotator.seen > 0);
  const accuracyChart =
    withGold.length === 0
      ? paragraph("No annotator has answered a gold image yet.")
      : figure(
          barChart({
            title: "Gold accuracy per annotator",
            yLabel: "accuracy",
            groups: withGold.map((annotator) => annotator.annotator),
            series: [{ name: "gold accuracy", values: withGold.map((annotator) => annotator.accuracy) }],
            yMax: 1,
          }),
          "Share of gold images where both answers matched the known ones.",
        );
  const annotatorTable = table({
    columns: ["annotator", "votes", "gold seen", "gold correct", "gold accuracy", "used"],
    rows: report.annotators.map((annotator) => [
      annotator.annotator,
      annotator.votes,
      annotator.seen,
      annotator.correct,
      percent(annotator.accuracy),
      annotator.excluded ? "no (below --min-gold-accuracy)" : "yes",
    ]),
  });
  const screenTable =
    report.screens.length === 0
      ? paragraph("No screen scores are stored; run d3s verify screen first.")
      : table({
          columns: ["screen", "threshold", "images", "TP", "FP", "FN", "precision", "recall"],
          rows: report.screens.map((screen) => [
            screen.screen,
            screen.threshold,
            screen.images,
            screen.truePositives,
            screen.falsePositives,
            screen.falseNegatives,
            percent(screen.precision),
            percent(screen.recall),
          ]),
        });
  const shiftChart = figure(
    barChart({
      title: "Acceptance rate per shift",
      yLabel: "accepted / decided",
      groups: report.shifts.map((shift) => shift.shift),
      series: [{ name: "acceptance rate", values: report.shifts.map((shift) => shift.acceptanceRate) }],
      yMax: 1,
    }),
    "Share of decided images (accepted or rejected) that were accepted; pending images are left out.",
  );
  const shiftTable = table({
    columns: ["shift", "accepted", "rejected", "pending", "acceptance rate"],
    rows: report.shifts.map((shift) => [shift.shift, shift.accepted, shift.rejected, shift.pending, percent(shift.acceptanceRate)]),
  });
  return page({
    title: "d3s verification report",
    subtitle: `Rule ${report.rule}, ${plural(report.votesPerImage, "vote")} per image, at most ${plural(report.maxUnsafeFlags, "adult/violent flag")}. Filtered metadata: ${report.outputs.metadata}`,
    sections: [
      { title: "Summary", content: summary },
      { title: "Shifts", content: [shiftChart, shiftTable] },
      { title: "Annotators", content: [accuracyChart, annotatorTable] },
      { title: "Screens against human votes", content: screenTable },
      { title: "Rejected and pending images", content: undecidedTable(report) },
    ],
  });
}

function undecidedTable(report: ConsolidateReport) {
  const listed = report.decisions.filter((decision) => decision.status !== "accepted");
  if (listed.length === 0) return paragraph("Every image was accepted.");
  const shown = listed.slice(0, LISTED_DECISIONS);
  const more = listed.length - shown.length;
  return [
    table({
      columns: ["image", "status", "reason", "votes", "present votes", "adult/violent flags"],
      rows: shown.map((d) => [d.imageId, d.status, d.reason, d.votes, d.presentVotes, d.unsafeVotes]),
    }),
    more > 0 ? paragraph(`${more} more are listed in the JSON report.`) : null,
  ];
}
