import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { UserError } from "../core/errors.js";
import type { VerifyDataset } from "./dataset.js";
import type { GoldAnswer } from "./store.js";

const YES = new Set(["1", "yes", "true", "y"]);
const NO = new Set(["0", "no", "false", "n"]);

/**
 * Reads a gold CSV with a header `id,present,unsafe` (values yes/no, true/false or 1/0). Every
 * id must be an image of the split, because gold images are shown like any other image.
 */
export async function readGoldCsv(path: string, dataset: VerifyDataset): Promise<GoldAnswer[]> {
  let records: Record<string, string>[];
  try {
    records = parse(await readFile(path), { bom: true, columns: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    throw new UserError(`Cannot read gold file ${path}: ${(error as Error).message}`);
  }
  return records.map((record, index) => {
    const line = index + 2;
    const imageId = record.id ?? "";
    if (!dataset.items.has(imageId)) {
      throw new UserError(`Gold file ${path} line ${line}: image id ${JSON.stringify(imageId)} is not in ${dataset.metadataPath}.`);
    }
    return {
      imageId,
      present: parseAnswer(record.present, "present", path, line),
      unsafe: parseAnswer(record.unsafe, "unsafe", path, line),
    };
  });
}

function parseAnswer(value: string | undefined, column: string, path: string, line: number): boolean {
  const normalized = (value ?? "").toLowerCase();
  if (YES.has(normalized)) return true;
  if (NO.has(normalized)) return false;
  throw new UserError(
    `Gold file ${path} line ${line}: column ${column} is ${JSON.stringify(value ?? "")}; use yes or no.`,
  );
}
