import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** Schema version written to `meta`; a store from another version is rejected. */
const SCHEMA_VERSION = "1";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS annotators (
  id TEXT PRIMARY KEY,
  token_hash TEXT UNIQUE,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS gold (
  image_id TEXT PRIMARY KEY,
  present INTEGER NOT NULL,
  unsafe INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY,
  annotator_id TEXT NOT NULL REFERENCES annotators(id),
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  submitted_at INTEGER
);
CREATE INDEX IF NOT EXISTS batches_open ON batches (annotator_id, submitted_at);
CREATE TABLE IF NOT EXISTS batch_items (
  batch_id TEXT NOT NULL REFERENCES batches(id),
  position INTEGER NOT NULL,
  image_id TEXT NOT NULL,
  PRIMARY KEY (batch_id, position)
);
CREATE TABLE IF NOT EXISTS votes (
  image_id TEXT NOT NULL,
  annotator_id TEXT NOT NULL REFERENCES annotators(id),
  present INTEGER NOT NULL,
  unsafe INTEGER NOT NULL,
  batch_id TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (image_id, annotator_id)
);
CREATE TABLE IF NOT EXISTS screens (
  image_id TEXT NOT NULL,
  screen TEXT NOT NULL,
  score REAL NOT NULL,
  model TEXT NOT NULL,
  PRIMARY KEY (image_id, screen)
);
CREATE TABLE IF NOT EXISTS mturk_assignments (
  assignment_id TEXT PRIMARY KEY,
  worker_id TEXT NOT NULL,
  hit_id TEXT NOT NULL,
  batch_id TEXT NOT NULL,
  imported_at INTEGER NOT NULL
);
`;

/** One annotator's answers on one image. */
export interface Vote {
  imageId: string;
  annotatorId: string;
  present: boolean;
  unsafe: boolean;
}

/** The known answers of a gold image. */
export interface GoldAnswer {
  imageId: string;
  present: boolean;
  unsafe: boolean;
}

/**
 * Opens (creating when missing) the SQLite vote store. WAL mode lets the consolidate command
 * read while the server writes. `synchronous = FULL` makes each commit wait for fsync before
 * the server acknowledges a vote. An acknowledged vote therefore survives a process crash, and
 * a power loss too on disks that honour fsync.
 */
export function openStore(path: string): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.exec(SCHEMA);
  const version = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as
    | { value: string }
    | undefined;
  if (version === undefined) {
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
  } else if (version.value !== SCHEMA_VERSION) {
    db.close();
    throw new Error(`Vote store ${path} has schema ${version.value}; this d3s reads schema ${SCHEMA_VERSION}.`);
  }
  return db;
}

/** Returns every vote, ordered by image and annotator. */
export function readVotes(db: Database.Database): Vote[] {
  const rows = db
    .prepare("SELECT image_id, annotator_id, present, unsafe FROM votes ORDER BY image_id, annotator_id")
    .all() as { image_id: string; annotator_id: string; present: number; unsafe: number }[];
  return rows.map((row) => ({
    imageId: row.image_id,
    annotatorId: row.annotator_id,
    present: row.present === 1,
    unsafe: row.unsafe === 1,
  }));
}

/** Returns the gold answers by image id. */
export function readGold(db: Database.Database): Map<string, GoldAnswer> {
  const rows = db.prepare("SELECT image_id, present, unsafe FROM gold").all() as {
    image_id: string;
    present: number;
    unsafe: number;
  }[];
  return new Map(
    rows.map((row) => [
      row.image_id,
      { imageId: row.image_id, present: row.present === 1, unsafe: row.unsafe === 1 },
    ]),
  );
}

/** Stores gold answers, replacing earlier answers for the same images. */
export function writeGold(db: Database.Database, answers: GoldAnswer[]): void {
  const insert = db.prepare(
    "INSERT INTO gold (image_id, present, unsafe) VALUES (?, ?, ?) ON CONFLICT(image_id) DO UPDATE SET present = excluded.present, unsafe = excluded.unsafe",
  );
  db.transaction(() => {
    for (const answer of answers) insert.run(answer.imageId, Number(answer.present), Number(answer.unsafe));
  })();
}

/** Returns the stored score of one screen (`nsfw` or `clip`) by image id. */
export function readScreen(db: Database.Database, screen: string): Map<string, number> {
  const rows = db.prepare("SELECT image_id, score FROM screens WHERE screen = ?").all(screen) as {
    image_id: string;
    score: number;
  }[];
  return new Map(rows.map((row) => [row.image_id, row.score]));
}

/** Stores screen scores, replacing earlier scores of the same screen and image. */
export function writeScreen(
  db: Database.Database,
  screen: string,
  model: string,
  scores: Map<string, number>,
): void {
  const insert = db.prepare(
    "INSERT INTO screens (image_id, screen, score, model) VALUES (?, ?, ?, ?) ON CONFLICT(image_id, screen) DO UPDATE SET score = excluded.score, model = excluded.model",
  );
  db.transaction(() => {
    for (const [imageId, score] of scores) insert.run(imageId, screen, score, model);
  })();
}
