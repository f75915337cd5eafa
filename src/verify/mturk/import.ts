import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import { UserError } from "../../core/errors.js";
import { loadVerifyDataset, type VerifyDataset } from "../dataset.js";
import { StoreOptions, storePath } from "../options.js";
import { openStore, type Vote } from "../store.js";
import { ensureAnnotator } from "../tokens.js";
import { counted } from "../plural.js";

/** Options of `d3s verify import-mturk`. */
export const ImportOptions = StoreOptions.extend({
  /** The batch results CSV downloaded from MTurk. */
  results: z.string().min(1),
});
export type ImportOptions = z.infer<typeof ImportOptions>;

/** A results row that could not be imported, with its line in the file (1-based, header is line 1). */
export interface RejectedRow {
  line: number;
  reason: string;
}

/** Counts of one MTurk import. */
export interface ImportResult {
  assignments: number;
  votes: number;
  /** Assignments already in the store from an earlier import; skipped. */
  alreadyImported: number;
  /** Rejected or returned assignments (AssignmentStatus Rejected); skipped. */
  skippedStatus: number;
}

/** One parsed assignment, ready to store. */
interface ParsedAssignment {
  assignmentId: string;
  workerId: string;
  hitId: string;
  batchId: string;
  votes: Omit<Vote, "annotatorId">[];
}

const REQUIRED_COLUMNS = ["AssignmentId", "WorkerId", "HITId", "Input.items", "Answer.taskAnswers"];
const WORKER_PATTERN = /^[A-Za-z0-9]{1,64}$/;

/**
 * Imports an MTurk batch results CSV into the vote store. The file may start with a byte-order
 * mark and hold quoted JSON cells with commas, quotes and newlines. Every row is checked first:
 * when any row is malformed nothing is stored and the error lists each bad row with its line,
 * so a fixed file can be imported again. Assignments already imported are skipped, which makes
 * repeated imports safe.
 */
export async function importMturk(options: ImportOptions): Promise<ImportResult> {
  // 1. Parse and check every row.
  const dataset = await loadVerifyDataset(options.data);
  const text = await readResults(options.results);
  const { assignments, rejected, skippedStatus } = parseResults(text, dataset);
  if (rejected.length > 0) {
    const lines = rejected.map((row) => `  line ${row.line}: ${row.reason}`).join("\n");
    throw new UserError(`${options.results}: ${counted(rejected.length, "malformed row")}, nothing imported:\n${lines}`);
  }

  // 2. Store all assignments in one transaction.
  const db = openStore(storePath(options));
  try {
    return { ...storeAssignments(db, assignments), skippedStatus };
  } finally {
    db.close();
  }
}

async function readResults(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new UserError(`Cannot read MTurk results ${path}: ${(error as Error).message}`);
  }
}

/** Parses a results CSV into assignments and rejected rows (exported for tests). */
export function parseResults(
  text: Buffer | string,
  dataset: VerifyDataset,
): { assignments: ParsedAssignment[]; rejected: RejectedRow[]; skippedStatus: number } {
  const rows = readRows(typeof text === "string" ? Buffer.from(text) : text);
  const rejected: RejectedRow[] = rows.filter((row) => row.record === undefined).map((row) => ({ line: row.line, reason: row.reason }));
  const records = rows.filter((row): row is CsvRow & { record: Record<string, string> } => row.record !== undefined);
  const first = records[0]?.record ?? {};
  const missing = REQUIRED_COLUMNS.filter((column) => !(column in first));
  if (records.length > 0 && missing.length > 0) {
    throw new UserError(`MTurk results lack the columns ${missing.join(", ")}; download the batch results CSV of HITs made by export-mturk.`);
  }
  const assignments: ParsedAssignment[] = [];
  let skippedStatus = 0;
  for (const { record, line } of records) {
    if ((record.AssignmentStatus ?? "") === "Rejected") {
      skippedStatus += 1;
      continue;
    }
    try {
      assignments.push(parseAssignment(record, dataset));
    } catch (error) {
      rejected.push({ line, reason: (error as Error).message });
    }
  }
  return { assignments, rejected: rejected.sort((a, b) => a.line - b.line), skippedStatus };
}

/** One data row of the CSV: its record, or the reason it could not be read, and its first line. */
interface CsvRow {
  line: number;
  record?: Record<string, string>;
  reason: string;
}

/**
 * Reads the CSV into rows keyed by the header, each with the line it starts on. csv-parse's own
 * line counter counts a CRLF inside a quoted cell twice and reports a row's last line, so the
 * line comes from the byte offset where the previous row ended instead.
 */
function readRows(bytes: Buffer): CsvRow[] {
  const events: { end: number; cells?: string[]; reason: string }[] = [];
  try {
    parse(bytes, {
      bom: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_record: (cells: string[], context) => {
        events.push({ end: context.bytes, cells, reason: "" });
        return null;
      },
      on_skip: (error) => {
        events.push({ end: (error as { bytes?: number } | undefined)?.bytes ?? 0, reason: error?.message ?? "unreadable row" });
        return undefined;
      },
    });
  } catch (error) {
    const lines = (error as { lines?: number }).lines;
    throw new UserError(`MTurk results are not valid CSV${lines ? ` (line ${lines})` : ""}: ${(error as Error).message}`);
  }
  const newlines: number[] = [];
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) newlines.push(i);
  const header = events[0]?.cells ?? [];
  return events.slice(1).map((event, i) => {
    const line = lineAt(bytes, newlines, events[i].end);
    if (event.cells === undefined) return { line, reason: event.reason.replace(/ on line \d+$/, "") };
    const record = Object.fromEntries(header.map((name, column) => [name, event.cells?.[column] ?? ""]));
    return { line, record, reason: "" };
  });
}

/** Returns the 1-based line of the first non-blank byte at or after `offset`. */
function lineAt(bytes: Buffer, newlines: number[], offset: number): number {
  let start = offset;
  while (start < bytes.length && (bytes[start] === 0x0a || bytes[start] === 0x0d)) start += 1;
  // Binary search: the count of newlines before `start`.
  let low = 0;
  let high = newlines.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (newlines[middle] < start) low = middle + 1;
    else high = middle;
  }
  return low + 1;
}

function parseAssignment(record: Record<string, string>, dataset: VerifyDataset): ParsedAssignment {
  const workerId = record.WorkerId ?? "";
  if (!WORKER_PATTERN.test(workerId)) throw new Error(`WorkerId ${JSON.stringify(workerId)} is not an MTurk worker id`);
  const assignmentId = record.AssignmentId ?? "";
  if (assignmentId === "") throw new Error("AssignmentId is empty");
  const imageIds = parseJson(record["Input.items"], "Input.items");
  if (!Array.isArray(imageIds) || imageIds.some((id) => typeof id !== "string" || !dataset.items.has(id))) {
    throw new Error("Input.items is not a list of image ids of this split");
  }
  const answers = parseJson(record["Answer.taskAnswers"], "Answer.taskAnswers");
  const answer = Array.isArray(answers) ? answers[0] : answers;
  if (answer === null || typeof answer !== "object") throw new Error("Answer.taskAnswers is missing the answer object");
  const votes = (imageIds as string[]).map((imageId, i) => ({
    imageId,
    present: readYesNo(answer as Record<string, unknown>, `present-${i}`),
    unsafe: readYesNo(answer as Record<string, unknown>, `unsafe-${i}`),
  }));
  return { assignmentId, workerId, hitId: record.HITId ?? "", batchId: record["Input.batch_id"] ?? "", votes };
}

function parseJson(cell: string | undefined, column: string): unknown {
  try {
    return JSON.parse(cell ?? "");
  } catch {
    throw new Error(`${column} is not valid JSON`);
  }
}

/**
 * Reads one yes/no answer. crowd-radio-button reports `{"<name>": {"<value>": true}}` for the
 * button `<question>-<i>-yes` or `-no`; a plain input reports `"<question>-<i>": "yes"`.
 */
function readYesNo(answer: Record<string, unknown>, key: string): boolean {
  const plain = answer[key];
  if (plain === "yes" || plain === "no") return plain === "yes";
  const yes = checked(answer[`${key}-yes`]);
  const no = checked(answer[`${key}-no`]);
  if (yes && !no) return true;
  if (no && !yes) return false;
  throw new Error(`answer ${key} is ${yes && no ? "both yes and no" : "missing"}`);
}

function checked(value: unknown): boolean {
  return value !== null && typeof value === "object" && Object.values(value).some((flag) => flag === true);
}

function storeAssignments(
  db: ReturnType<typeof openStore>,
  assignments: ParsedAssignment[],
): Omit<ImportResult, "skippedStatus"> {
  const known = db.prepare("SELECT 1 FROM mturk_assignments WHERE assignment_id = ?");
  const record = db.prepare(
    "INSERT INTO mturk_assignments (assignment_id, worker_id, hit_id, batch_id, imported_at) VALUES (?, ?, ?, ?, ?)",
  );
  const insertVote = db.prepare(
    `INSERT INTO votes (image_id, annotator_id, present, unsafe, batch_id, source, created_at)
     VALUES (?, ?, ?, ?, ?, 'mturk', ?) ON CONFLICT(image_id, annotator_id) DO NOTHING`,
  );
  const run = db.transaction(() => {
    const result = { assignments: 0, votes: 0, alreadyImported: 0 };
    const now = Date.now();
    for (const assignment of assignments) {
      if (known.get(assignment.assignmentId) !== undefined) {
        result.alreadyImported += 1;
        continue;
      }
      const annotatorId = `mturk:${assignment.workerId}`;
      ensureAnnotator(db, annotatorId, "mturk");
      record.run(assignment.assignmentId, assignment.workerId, assignment.hitId, assignment.batchId, now);
      for (const vote of assignment.votes) {
        const batchId = `mturk:${assignment.assignmentId}`;
        result.votes += insertVote.run(vote.imageId, annotatorId, Number(vote.present), Number(vote.unsafe), batchId, now).changes;
      }
      result.assignments += 1;
    }
    return result;
  });
  return run.immediate();
}
