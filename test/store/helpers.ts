import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import type { Finding, HostDiagnosis } from "../../src/diagnosis/types.js";
import { openDatabase } from "../../src/store/db.js";
import type { IncidentStore, NewIncident } from "../../src/store/incidents.js";

/** A migrated database in a fresh temp dir; close() removes both. */
export function tempDb(): { db: Database.Database; file: string; dir: string; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), "hmi-store-"));
  const file = join(dir, "medic.db");
  const db = openDatabase(file);
  return {
    db,
    file,
    dir,
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function finding(id: string, confidence: number, extra: Partial<Finding> = {}): Finding {
  return {
    id,
    title: `title of ${id}`,
    explanation: `explanation of ${id}`,
    confidence,
    evidence: [`evidence for ${id}`],
    check: [`check ${id}`],
    fix: [`fix ${id}`],
    rollback: [`rollback ${id}`],
    verify: [`verify ${id}`],
    ...extra,
  };
}

export function diagnosed(
  host: string,
  causes: Finding[],
  extra: Partial<HostDiagnosis> = {},
): HostDiagnosis {
  return { host, status: "diagnosed", causes, elapsed_ms: 12, ...extra };
}

/** A CLI incident on `host` whose diagnosis found `causes` ([cause, confidence]); returns its id. */
export function diagnosedIncident(
  incidents: IncidentStore,
  host: string,
  causes: [string, number][],
  incident: Partial<NewIncident> = {},
  groups: string[] = [],
): number {
  const id = incidents.create({
    requestedBy: "U1",
    source: "cli",
    symptom: "",
    categories: [],
    targets: [],
    hosts: [host],
    language: "en",
    ...incident,
  });
  incidents.recordDiagnosis(
    id,
    diagnosed(
      host,
      causes.map(([c, p]) => finding(c, p)),
    ),
    groups,
  );
  return id;
}
