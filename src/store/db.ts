import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { loadMigrations, migrate } from "./migrate.js";

/** migrations/ at the package root, from src/ or from dist/src/. */
export const MIGRATIONS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  import.meta.url.includes("/dist/") ? "../../.." : "../..",
  "migrations",
);

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreError";
  }
}

/** Opens (creating when needed) and migrates the SQLite database. */
export function openDatabase(file: string, migrationsDir = MIGRATIONS_DIR): Database.Database {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new StoreError(`cannot open database ${file}: ${(err as Error).message} (check MEDIC_DB)`);
  }
  try {
    if (file !== ":memory:") db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    // Another hostmedic (the CLI beside the bot) may hold a write lock for a moment.
    db.pragma("busy_timeout = 5000");
    migrate(db, loadMigrations(migrationsDir));
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Turns SQLite's lock and disk errors into words a user can act on. */
export function describeDbError(err: unknown): string {
  const code = (err as { code?: string }).code ?? "";
  const msg = (err as Error).message ?? String(err);
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
    return `the database is locked by another process (${msg}); try again in a moment`;
  if (code === "SQLITE_FULL") return `the database disk is full (${msg}); free space where MEDIC_DB lives`;
  if (code === "SQLITE_READONLY")
    return `the database is read-only (${msg}); check the permissions of MEDIC_DB`;
  return msg;
}
