import type Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { UserError } from "../core/errors.js";
import { hashBytes } from "../core/hash.js";

/** Annotator names: letters, digits, `.`, `_`, `@` and `-`, at most 64 characters. */
export const ANNOTATOR_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Token format: 32 random bytes as base64url (43 characters). */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Creates (or replaces) the token of a web annotator and returns it. Only the SHA-256 of the
 * token is stored: the token carries 256 random bits, so a fast hash is enough to make a stolen
 * store useless for logging in. Issuing a new token revokes the old one.
 */
export function issueToken(db: Database.Database, annotatorId: string): string {
  if (!ANNOTATOR_PATTERN.test(annotatorId)) {
    throw new UserError(
      `Invalid annotator name ${JSON.stringify(annotatorId)}: use letters, digits, ".", "_", "@" and "-" (at most 64).`,
    );
  }
  const token = randomBytes(32).toString("base64url");
  db.prepare(
    `INSERT INTO annotators (id, token_hash, source, created_at) VALUES (?, ?, 'web', ?)
     ON CONFLICT(id) DO UPDATE SET token_hash = excluded.token_hash`,
  ).run(annotatorId, hashBytes(token), Date.now());
  return token;
}

/** Removes the token of an annotator; their votes stay. Returns false when no such annotator exists. */
export function revokeToken(db: Database.Database, annotatorId: string): boolean {
  return db.prepare("UPDATE annotators SET token_hash = NULL WHERE id = ?").run(annotatorId).changes > 0;
}

/**
 * Returns the annotator that owns `token`, or undefined for a malformed or unknown token. The
 * store is searched by the token's SHA-256, never by the token: lookup timing can reveal at most
 * how much of a digest matched, and that does not help to build a token (preimage resistance),
 * so no separate constant-time comparison is needed.
 */
export function annotatorForToken(db: Database.Database, token: string): string | undefined {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const row = db.prepare("SELECT id FROM annotators WHERE token_hash = ?").get(hashBytes(token)) as
    | { id: string }
    | undefined;
  return row?.id;
}

/** Adds an annotator without a token (an MTurk worker) unless it exists. */
export function ensureAnnotator(db: Database.Database, annotatorId: string, source: string): void {
  db.prepare(
    "INSERT INTO annotators (id, token_hash, source, created_at) VALUES (?, NULL, ?, ?) ON CONFLICT(id) DO NOTHING",
  ).run(annotatorId, source, Date.now());
}

/** One annotator as `d3s verify tokens` lists it, without the token hash. */
export interface AnnotatorSummary {
  id: string;
  /** `web` for token links, `mturk` for imported MTurk workers. */
  source: string;
  /** Whether the annotator has a working token link. */
  hasToken: boolean;
  createdAt: Date;
}

/** Lists every annotator in the store, by name. Token hashes stay in the store. */
export function listAnnotators(db: Database.Database): AnnotatorSummary[] {
  const rows = db
    .prepare("SELECT id, source, token_hash IS NOT NULL AS hasToken, created_at AS createdAt FROM annotators ORDER BY id")
    .all() as Array<{ id: string; source: string; hasToken: number; createdAt: number }>;
  return rows.map((row) => ({
    id: row.id,
    source: row.source,
    hasToken: row.hasToken === 1,
    createdAt: new Date(row.createdAt),
  }));
}
