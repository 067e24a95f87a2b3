import { cpSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, openDatabase } from "../../src/store/db.js";
import { MigrationError, schemaVersion } from "../../src/store/migrate.js";

const shipped = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).length;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "hm-migrate-"));
}

function copyMigrations(): string {
  const dir = join(tempDir(), "migrations");
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe("migrations", () => {
  it("creates a fresh database at the newest version with WAL and foreign keys", () => {
    const file = join(tempDir(), "sub", "hm.db");
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(shipped);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(Number(db.pragma("busy_timeout", { simple: true }))).toBeGreaterThan(0);
    const rows = db.prepare("SELECT version, name, checksum, applied_at FROM schema_migrations").all() as {
      checksum: string;
    }[];
    expect(rows).toHaveLength(shipped);
    expect(rows[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    db.close();
  });

  it("is idempotent: opening twice applies nothing new", () => {
    const file = join(tempDir(), "hm.db");
    openDatabase(file).close();
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(shipped);
    expect((db.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get() as { n: number }).n).toBe(
      shipped,
    );
    db.close();
  });

  it("finds Chinese and English text with the trigram FTS index", () => {
    const db = openDatabase(join(tempDir(), "hm.db"));
    db.prepare(
      "INSERT INTO incidents_fts (rowid, symptom, hosts, causes, notes, resolution) VALUES (?,?,?,?,?,?)",
    ).run(1, "宿主机和虚拟机网络不通", "kvm01", "tap_not_enslaved", "", "");
    const zh = db.prepare("SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ?").all('"虚拟机网络"');
    const en = db.prepare("SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ?").all('"enslaved"');
    expect(zh).toEqual([{ rowid: 1 }]);
    expect(en).toEqual([{ rowid: 1 }]);
    db.close();
  });

  it("refuses to start when a shipped migration changed after it was applied", () => {
    const dir = copyMigrations();
    const file = join(tempDir(), "hm.db");
    openDatabase(file, dir).close();
    writeFileSync(join(dir, "0001_init.sql"), "-- edited\nCREATE TABLE sneaky (x);\n");
    expect(() => openDatabase(file, dir)).toThrow(MigrationError);
    expect(() => openDatabase(file, dir)).toThrow(/0001_init.sql changed after it was applied/);
  });

  it("leaves the database at the previous version when a migration fails", () => {
    const dir = copyMigrations();
    const file = join(tempDir(), "hm.db");
    openDatabase(file, dir).close();
    const next = String(shipped + 1).padStart(4, "0");
    // The first statement succeeds, the second fails: nothing of it may remain.
    writeFileSync(
      join(dir, `${next}_broken.sql`),
      "CREATE TABLE half_done (x);\nINSERT INTO no_such_table VALUES (1);\n",
    );
    expect(() => openDatabase(file, dir)).toThrow(
      new RegExp(`${next}_broken.sql failed, database left at version ${shipped}`),
    );
    const db = new Database(file);
    expect(schemaVersion(db)).toBe(shipped);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").all()).toEqual([]);
    db.close();
  });

  it("keeps the audit trail append-only", () => {
    const db = openDatabase(join(tempDir(), "hm.db"));
    db.prepare("INSERT INTO audit_events (actor, action) VALUES ('U1', 'test')").run();
    expect(() => db.prepare("UPDATE audit_events SET actor = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare("DELETE FROM audit_events").run()).toThrow(/append-only/);
    db.close();
  });
});
