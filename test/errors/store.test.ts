import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { HostDiagnosis } from "../../src/diagnosis/types.js";
import { loadKnowledge, syncRules } from "../../src/knowledge/index.js";
import { describeDbError, openDatabase, StoreError } from "../../src/store/db.js";
import { IncidentStore } from "../../src/store/incidents.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "hmx-store-"));
  dirs.push(d);
  return d;
}

const RECORDED = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "fixtures", "slack", "diagnosis_kvm01.json"), "utf8"),
) as HostDiagnosis;

const incident = {
  requestedBy: "cli",
  source: "cli" as const,
  symptom: "vm 198.51.100.10 cannot reach the host",
  categories: [],
  targets: ["198.51.100.10"],
  hosts: ["kvm01"],
  language: "en" as const,
};

/**
 * Another process (python3's sqlite3, like a second hostmedic) holds a write transaction for
 * holdMs; resolves once the lock is taken, with a promise for the end of the holder.
 */
async function holdWriteLock(file: string, holdMs: number): Promise<{ released: Promise<void> }> {
  const child = spawn(
    "python3",
    [
      "-c",
      "import sqlite3,sys,time\nc=sqlite3.connect(sys.argv[1],isolation_level=None)\nc.execute('BEGIN IMMEDIATE')\nprint('locked',flush=True)\ntime.sleep(float(sys.argv[2]))\nc.execute('COMMIT')",
      file,
      String(holdMs / 1000),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const released = new Promise<void>((resolve) => child.on("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d) => String(d).includes("locked") && resolve());
    child.on("error", reject);
    child.on("close", (code) => reject(new Error(`python3 exited ${code} before locking`)));
  });
  return { released };
}

describe("the database cannot be opened: the message names the file and what to do", () => {
  it("a file where the directory should be", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "data"), "x");
    const file = join(dir, "data", "medic.db");
    expect(() => openDatabase(file)).toThrow(StoreError);
    expect(() => openDatabase(file)).toThrow(
      /cannot create the directory of the database .*data\/medic\.db.*MEDIC_DB/,
    );
  });

  it("a file that is not a SQLite database", () => {
    const file = join(tempDir(), "notes.txt");
    writeFileSync(file, "this is not a database, it is a shopping list\n".repeat(200));
    expect(() => openDatabase(file)).toThrow(StoreError);
    expect(() => openDatabase(file)).toThrow(/notes\.txt: MEDIC_DB is not a SQLite database/);
    // Nothing of the user's file was overwritten.
    expect(readFileSync(file, "utf8")).toMatch(/^this is not a database/);
  });
});

describe("describeDbError gives words a user can act on", () => {
  const err = (code: string, message: string) => Object.assign(new Error(message), { code });
  it.each([
    ["SQLITE_BUSY", /locked by another process.*try again/],
    ["SQLITE_BUSY_SNAPSHOT", /locked by another process/],
    ["SQLITE_FULL", /disk is full.*free space where MEDIC_DB lives/],
    ["SQLITE_READONLY_DBMOVED", /read-only.*permissions of MEDIC_DB/],
    ["SQLITE_IOERR_WRITE", /could not be written or read.*full or failing/],
    ["SQLITE_NOTADB", /not a SQLite database/],
    ["SQLITE_CORRUPT", /damaged.*backup/],
    ["SQLITE_CANTOPEN", /cannot be opened.*MEDIC_DB/],
  ])("%s", (code, words) => {
    const text = describeDbError(err(code, "sqlite says so"));
    expect(text).toMatch(words);
    expect(text).toContain("sqlite says so");
  });
  it("other errors keep their own message", () => {
    expect(describeDbError(new Error("something else"))).toBe("something else");
  });
});

describe("a database that is full (SQLITE_FULL, simulated with max_page_count)", () => {
  it("refuses the diagnosis with a clear StoreError and keeps what was stored before", () => {
    const db = openDatabase(join(tempDir(), "medic.db"));
    try {
      const store = new IncidentStore(db);
      const first = store.create(incident);
      store.recordDiagnosis(first, RECORDED);
      const second = store.create(incident);
      // No page more than the database has now: the next diagnosis with its bundle cannot fit.
      const pages = db.pragma("page_count", { simple: true }) as number;
      db.pragma(`max_page_count = ${pages}`);
      let thrown: unknown;
      try {
        // A bundle of its own (bundles are stored once per content), bigger than any free page.
        const bundle = RECORDED.bundle && {
          ...RECORDED.bundle,
          evidence: [
            ...RECORDED.bundle.evidence,
            { ...RECORDED.bundle.evidence[0]!, stdout: "x".repeat(200_000) },
          ],
        };
        store.recordDiagnosis(second, { ...RECORDED, ...(bundle ? { bundle } : {}) });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(StoreError);
      expect((thrown as Error).message).toMatch(
        /cannot record the diagnosis of kvm01: the database disk is full .*free space where MEDIC_DB lives/,
      );
      // The failed transaction rolled back whole; what was there before is intact.
      expect(store.causes(first).length).toBeGreaterThan(0);
      expect(store.bundles(first)).toHaveLength(1);
      expect(store.get(second)?.symptom).toBe(incident.symptom);
      expect(db.prepare("SELECT count(*) AS n FROM diagnoses WHERE incident_id = ?").get(second)).toEqual({
        n: 0,
      });
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      db.close();
    }
  });
});

describe("a database locked by another process", () => {
  it("a lock shorter than the busy timeout is waited for, also by a transaction that reads before it writes", async () => {
    const file = join(tempDir(), "medic.db");
    const db = openDatabase(file);
    try {
      const { released } = await holdWriteLock(file, 1500);
      const started = Date.now();
      // syncRules reads each rule's hash before it writes: as a deferred transaction it failed at
      // once with SQLITE_BUSY instead of waiting for the other process.
      expect(syncRules(db, loadKnowledge())).toBeGreaterThan(0);
      expect(Date.now() - started).toBeGreaterThan(1000);
      await released;
    } finally {
      db.close();
    }
  });

  it("a lock longer than the busy timeout is a StoreError that says so, after waiting", async () => {
    const file = join(tempDir(), "medic.db");
    const db = openDatabase(file);
    try {
      const store = new IncidentStore(db);
      const { released } = await holdWriteLock(file, 7000);
      const started = Date.now();
      expect(() => store.create(incident)).toThrow(
        /cannot record the incident: the database is locked by another process .*try again in a moment/,
      );
      expect(Date.now() - started).toBeGreaterThan(4000);
      await released;
      // Once the other process is done, the same store works again.
      expect(store.create(incident)).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  }, 20_000);
});
