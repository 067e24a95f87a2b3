import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type Database from "better-sqlite3";

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function loadMigrations(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .map((file) => {
      const m = FILE.exec(file);
      if (!m) throw new MigrationError(`${join(dir, file)}: migration files are named NNNN_name.sql`);
      const sql = readFileSync(join(dir, file), "utf8");
      return {
        version: Number(m[1]),
        name: m[2]!,
        sql,
        checksum: createHash("sha256").update(sql).digest("hex"),
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new MigrationError(`${dir}: migration ${m.version} is out of sequence (expected ${i + 1})`);
  });
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Brings the database to the newest schema. Each migration runs in its own transaction, so a
 * failing one leaves the database at the previous version. A shipped migration whose file changed
 * since it was applied stops everything: the schema would no longer be what the code expects.
 */
export function migrate(db: Database.Database, migrations: Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
  )`);
  const applied = new Map(
    (db.prepare("SELECT version, name, checksum FROM schema_migrations").all() as AppliedRow[]).map((r) => [
      r.version,
      r,
    ]),
  );
  for (const row of applied.values()) {
    const file = migrations.find((m) => m.version === row.version);
    if (!file)
      throw new MigrationError(
        `the database is at migration ${row.version} (${row.name}), which this hostmedic does not have; use a newer hostmedic or another MEDIC_DB`,
      );
    if (file.checksum !== row.checksum)
      throw new MigrationError(
        `migration ${String(row.version).padStart(4, "0")}_${row.name}.sql changed after it was applied (checksum mismatch); shipped migrations must never be edited: restore the file and add a new migration instead`,
      );
  }
  const record = db.prepare("INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)");
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    const apply = db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, m.checksum);
    });
    try {
      apply();
    } catch (err) {
      throw new MigrationError(
        `migration ${String(m.version).padStart(4, "0")}_${m.name}.sql failed, database left at version ${schemaVersion(db)}: ${(err as Error).message}`,
      );
    }
  }
  return schemaVersion(db);
}

export function schemaVersion(db: Database.Database): number {
  const row = db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null };
  return row.v ?? 0;
}
