import { accessSync, constants, mkdirSync } from "node:fs";
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
  if (file !== ":memory:") {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw new StoreError(
        `cannot create the directory of the database ${file}: ${(err as Error).message} (check MEDIC_DB)`,
      );
    }
  }
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new StoreError(`cannot open database ${file}: ${describeOpenError(err, file)}`);
  }
  try {
    if (file !== ":memory:") db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    // Another hostmedic (the CLI beside the bot) may hold a write lock for a moment.
    db.pragma("busy_timeout = 5000");
    immediateTransactions(db);
    migrate(db, loadMigrations(migrationsDir));
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith("SQLITE_"))
      throw new StoreError(`cannot open database ${file}: ${describeOpenError(err, file)}`);
    throw err;
  }
  return db;
}

/**
 * Transactions take the write lock when they begin (BEGIN IMMEDIATE). A deferred transaction that
 * reads and then writes gets SQLITE_BUSY at once, without waiting busy_timeout, when another
 * process (the bot beside the CLI) writes at that moment; an immediate one waits its turn.
 */
function immediateTransactions(db: Database.Database): void {
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...args: never[]) => unknown) =>
    transaction(fn).immediate) as typeof db.transaction;
}

/** describeDbError, plus the usual reasons a file cannot be opened: the directory or file is read-only. */
function describeOpenError(err: unknown, file: string): string {
  const code = (err as { code?: string }).code ?? "";
  if (code === "SQLITE_CANTOPEN" || code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_IOERR")) {
    for (const path of [file, dirname(file)]) {
      try {
        accessSync(path, constants.W_OK);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
        return `${path} is not writable (${(err as Error).message}); hostmedic writes the database and its -wal and -shm files there: check MEDIC_DB`;
      }
    }
  }
  const described = describeDbError(err);
  return described.includes("MEDIC_DB") ? described : `${described} (check MEDIC_DB)`;
}

/** Turns SQLite's lock and disk errors into words a user can act on. */
export function describeDbError(err: unknown): string {
  const code = (err as { code?: string }).code ?? "";
  const msg = (err as Error).message ?? String(err);
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
    return `the database is locked by another process (${msg}); try again in a moment`;
  if (code === "SQLITE_FULL") return `the database disk is full (${msg}); free space where MEDIC_DB lives`;
  if (code.startsWith("SQLITE_READONLY"))
    return `the database is read-only (${msg}); check the permissions of MEDIC_DB and its directory`;
  if (code.startsWith("SQLITE_IOERR"))
    return `the database file could not be written or read (${msg}); is the disk where MEDIC_DB lives full or failing?`;
  if (code === "SQLITE_NOTADB")
    return `MEDIC_DB is not a SQLite database (${msg}); point MEDIC_DB at hostmedic's database or at a new file`;
  if (code.startsWith("SQLITE_CORRUPT"))
    return `the database is damaged (${msg}); restore it from a backup or point MEDIC_DB at a new file`;
  if (code.startsWith("SQLITE_CANTOPEN"))
    return `the database file cannot be opened (${msg}); check MEDIC_DB and the permissions of its directory`;
  return msg;
}
