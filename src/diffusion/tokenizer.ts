import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.js";
import { pathExists } from "../core/files.js";

/** CLIP's context length: every encoded prompt has exactly this many ids. */
export const CLIP_CONTEXT_LENGTH = 77;
const START_TOKEN = "<|startoftext|>";
const END_TOKEN = "<|endoftext|>";
const WORD_END = "</w>";

// Words, the English contractions, single digits and runs of other symbols, as CLIP splits text.
const WORD_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/** Vocabulary and merge ranks of a byte-level BPE tokenizer. */
export interface BpeTables {
  vocab: Map<string, number>;
  /** Merge rank by the pair written as "left right". */
  ranks: Map<string, number>;
  /** Name of the padding token; CLIP for SD 1.x pads with the end token. */
  padToken?: string;
  /** Maximum ids per prompt; default 77. */
  contextLength?: number;
}

/**
 * The CLIP byte-level BPE tokenizer (Radford et al. 2021). It lowercases, collapses whitespace,
 * splits words with CLIP's pattern, maps UTF-8 bytes to printable characters, applies the BPE
 * merges with a `</w>` end-of-word marker, and frames the ids as [start, ..., end, pad...],
 * truncated so the end token always survives.
 */
export class ClipTokenizer {
  readonly startId: number;
  readonly endId: number;
  readonly padId: number;
  readonly contextLength: number;
  private readonly cache = new Map<string, string[]>();

  constructor(private readonly tables: BpeTables) {
    this.startId = requireToken(tables.vocab, START_TOKEN);
    this.endId = requireToken(tables.vocab, END_TOKEN);
    this.padId = requireToken(tables.vocab, tables.padToken ?? END_TOKEN);
    this.contextLength = tables.contextLength ?? CLIP_CONTEXT_LENGTH;
  }

  /**
   * Loads a tokenizer folder: `vocab.json` + `merges.txt` (the slow CLIP tokenizer files) or
   * `tokenizer.json` (the fast tokenizer file), plus the optional `tokenizer_config.json` or
   * `special_tokens_map.json` for the pad token and the maximum length.
   */
  static async fromFolder(dir: string): Promise<ClipTokenizer> {
    const config = await readTokenizerConfig(dir);
    const tables = (await pathExists(join(dir, "vocab.json")))
      ? await readSlowFiles(dir)
      : await readFastFile(dir);
    return new ClipTokenizer({ ...tables, ...config });
  }

  /** Returns exactly `contextLength` ids (77 for CLIP) for a prompt. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const word of cleanText(text).match(WORD_PATTERN) ?? []) {
      if (word === START_TOKEN || word === END_TOKEN) {
        ids.push(word === START_TOKEN ? this.startId : this.endId);
        continue;
      }
      for (const piece of this.bpe(toByteCharacters(word))) {
        const id = this.tables.vocab.get(piece);
        if (id !== undefined) ids.push(id);
      }
    }
    const body = ids.slice(0, this.contextLength - 2);
    const framed = [this.startId, ...body, this.endId];
    while (framed.length < this.contextLength) framed.push(this.padId);
    return framed;
  }

  /** Splits one word (already byte-mapped) into vocabulary pieces by merge rank. */
  private bpe(word: string): string[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const characters = Array.from(word);
    let parts = [...characters.slice(0, -1), characters[characters.length - 1] + WORD_END];
    while (parts.length > 1) {
      const best = this.bestPair(parts);
      if (best === undefined) break;
      parts = mergePair(parts, best[0], best[1]);
    }
    this.cache.set(word, parts);
    return parts;
  }

  private bestPair(parts: string[]): [string, string] | undefined {
    let best: [string, string] | undefined;
    let bestRank = Infinity;
    for (let i = 0; i < parts.length - 1; i++) {
      const rank = this.tables.ranks.get(`${parts[i]} ${parts[i + 1]}`);
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        best = [parts[i], parts[i + 1]];
      }
    }
    return best;
  }
}

/** Replaces every adjacent (left, right) occurrence, scanning left to right. */
function mergePair(parts: string[], left: string, right: string): string[] {
  const merged: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i < parts.length - 1 && parts[i] === left && parts[i + 1] === right) {
      merged.push(left + right);
      i += 1;
    } else {
      merged.push(parts[i]);
    }
  }
  return merged;
}

/** Collapses whitespace, trims and lowercases, as CLIP does before splitting. */
export function cleanText(text: string): string {
  return text.normalize("NFC").replace(/\s+/gu, " ").trim().toLowerCase();
}

/**
 * Maps every byte to a printable character: printable Latin-1 bytes map to themselves and the
 * rest to code points from 256 up, in byte order (GPT-2's reversible byte encoding).
 */
export function byteCharacters(): string[] {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) {
    table.push(String.fromCodePoint(printable(b) ? b : next++));
  }
  return table;
}

const BYTE_CHARACTERS = byteCharacters();

function toByteCharacters(word: string): string {
  return Array.from(new TextEncoder().encode(word), (b) => BYTE_CHARACTERS[b]).join("");
}

function requireToken(vocab: Map<string, number>, token: string): number {
  const id = vocab.get(token);
  if (id === undefined) {
    throw new UserError(
      `Tokenizer vocabulary has no "${token}" token. Use a CLIP tokenizer folder (vocab.json with ` +
        `<|startoftext|> and <|endoftext|>).`,
    );
  }
  return id;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new UserError(
      `Tokenizer file not found: ${path}. Expected vocab.json + merges.txt or tokenizer.json.`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`Tokenizer file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function ranksFromMerges(merges: string[]): Map<string, number> {
  return new Map(merges.map((merge, rank) => [merge, rank]));
}

async function readSlowFiles(dir: string): Promise<BpeTables> {
  const vocabPath = join(dir, "vocab.json");
  const vocab = z.record(z.string(), z.number().int()).safeParse(await readJson(vocabPath));
  if (!vocab.success) throw new UserError(`${vocabPath} must map token strings to integer ids.`);
  const mergesPath = join(dir, "merges.txt");
  let text: string;
  try {
    text = await readFile(mergesPath, "utf8");
  } catch {
    throw new UserError(
      `Tokenizer file not found: ${mergesPath}. It is required beside vocab.json.`,
    );
  }
  // The first line is a "#version" header; blank lines end the list.
  const merges = text
    .split("\n")
    .filter((line, i) => !(i === 0 && line.startsWith("#")) && line.trim() !== "");
  return { vocab: new Map(Object.entries(vocab.data)), ranks: ranksFromMerges(merges) };
}

const fastTokenizerSchema = z.object({
  model: z.object({
    vocab: z.record(z.string(), z.number().int()),
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
  }),
  added_tokens: z.array(z.object({ id: z.number().int(), content: z.string() })).default([]),
});

async function readFastFile(dir: string): Promise<BpeTables> {
  const path = join(dir, "tokenizer.json");
  const parsed = fastTokenizerSchema.safeParse(await readJson(path));
  if (!parsed.success) {
    throw new UserError(
      `${path} is not a BPE tokenizer.json (expected model.vocab and model.merges).`,
    );
  }
  const vocab = new Map(Object.entries(parsed.data.model.vocab));
  for (const token of parsed.data.added_tokens) vocab.set(token.content, token.id);
  const merges = parsed.data.model.merges.map((merge) =>
    typeof merge === "string" ? merge : merge.join(" "),
  );
  return { vocab, ranks: ranksFromMerges(merges) };
}

const tokenNameSchema = z.union([z.string(), z.object({ content: z.string() })]);
const tokenizerConfigSchema = z.object({
  pad_token: tokenNameSchema.nullable().optional(),
  model_max_length: z.number().optional(),
});

/** Reads the pad token and context length from tokenizer_config.json / special_tokens_map.json. */
async function readTokenizerConfig(dir: string): Promise<Partial<BpeTables>> {
  const result: Partial<BpeTables> = {};
  for (const name of ["special_tokens_map.json", "tokenizer_config.json"]) {
    const path = join(dir, name);
    if (!(await pathExists(path))) continue;
    const parsed = tokenizerConfigSchema.safeParse(await readJson(path));
    if (!parsed.success) throw new UserError(`${path}: ${parsed.error.issues[0].message}`);
    const pad = parsed.data.pad_token;
    if (pad !== undefined && pad !== null) {
      result.padToken = typeof pad === "string" ? pad : pad.content;
    }
    const length = parsed.data.model_max_length;
    // Some configs store a huge sentinel for "no limit"; CLIP's text encoder takes 77.
    if (length !== undefined && length <= 4096) result.contextLength = length;
  }
  return result;
}
