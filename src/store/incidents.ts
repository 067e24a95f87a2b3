import { createHash } from "node:crypto";
import type Database from "better-sqlite3";
import type {
  Finding,
  FindingCommands,
  HostDiagnosis,
  Language,
  SymptomCategory,
} from "../diagnosis/types.js";
import type { EvidenceBundle } from "../probes/types.js";
import { describeDbError, StoreError } from "./db.js";
import { refreshIncidentFts } from "./fts.js";

export type IncidentStatus = "open" | "diagnosed" | "resolved" | "closed";

export interface NewIncident {
  requestedBy: string;
  source: "slack" | "console" | "cli";
  channel?: string;
  thread?: string;
  symptom: string;
  categories: SymptomCategory[];
  targets: string[];
  hosts: string[];
  language: Language;
}

export interface Incident {
  id: number;
  requested_by: string;
  source: string;
  channel: string | null;
  thread: string | null;
  symptom: string;
  categories: SymptomCategory[];
  targets: string[];
  hosts: string[];
  language: Language;
  status: IncidentStatus;
  resolution: string | null;
  created_at: string;
  updated_at: string;
}

/** The short form lists and search show (matches conversation's IncidentSummary). */
export interface IncidentSummary {
  id: number;
  hosts: string[];
  symptom: string;
  status: string;
  causes: string[];
  created_at: string;
  channel?: string | null;
  thread?: string | null;
}

export interface StoredFinding {
  cause: string;
  rank: number;
  confidence: number;
  title: string;
  title_zh: string | null;
  evidence: string[];
  commands: { check: string[]; fix: string[]; rollback: string[]; verify: string[] };
}

export interface StoredDiagnosis {
  id: number;
  host: string;
  groups: string[];
  status: string;
  error: string | null;
  elapsed_ms: number;
  notes: string[];
  findings: StoredFinding[];
  evidence: { sha256: string; created_at: string }[];
}

export interface IncidentDetail {
  incident: Incident;
  diagnoses: StoredDiagnosis[];
  cases: {
    host: string;
    cause: string;
    verdict: string;
    decided_by: string;
    note: string | null;
    created_at: string;
  }[];
  notes: { author: string; text: string; created_at: string }[];
}

/** Cause titles in both languages, for search ("网桥" finds an incident diagnosed in English). */
export type CauseTitles = (cause: string) => { en?: string; zh?: string } | undefined;

interface IncidentRow extends Omit<Incident, "categories" | "targets" | "hosts" | "language" | "status"> {
  categories: string;
  targets: string;
  hosts: string;
  language: string;
  status: string;
}

/** A JSON column as stored; an empty or unreadable value reads as `fallback`. */
export function jsonColumn<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** The commands column of a finding or fix; a list the row lacks reads as empty. */
export function commandsColumn(text: string | null | undefined): FindingCommands {
  return { check: [], fix: [], rollback: [], verify: [], ...jsonColumn<Partial<FindingCommands>>(text, {}) };
}

function toIncident(r: IncidentRow): Incident {
  return {
    ...r,
    categories: jsonColumn(r.categories, []),
    targets: jsonColumn(r.targets, []),
    hosts: jsonColumn(r.hosts, []),
    language: r.language === "zh" ? "zh" : "en",
    status: r.status as IncidentStatus,
  };
}

export function bundleSha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** SQLite errors (locked, disk full, read-only) become a StoreError with words a user can act on. */
export function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof StoreError) throw err;
    if ((err as { code?: string }).code?.startsWith("SQLITE_"))
      throw new StoreError(`cannot ${what}: ${describeDbError(err)}`);
    throw err;
  }
}

/** Incidents, their per-host diagnoses, findings and evidence bundles. */
export class IncidentStore {
  constructor(
    readonly db: Database.Database,
    private readonly titles: CauseTitles = () => undefined,
  ) {}

  create(n: NewIncident): number {
    return guard("record the incident", () =>
      this.db.transaction(() => {
        const info = this.db
          .prepare(
            `INSERT INTO incidents (requested_by, source, channel, thread, symptom, categories, targets, hosts, language)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            n.requestedBy,
            n.source,
            n.channel ?? null,
            n.thread ?? null,
            n.symptom,
            JSON.stringify(n.categories),
            JSON.stringify(n.targets),
            JSON.stringify(n.hosts),
            n.language,
          );
        const id = Number(info.lastInsertRowid);
        refreshIncidentFts(this.db, id, this.titles);
        return id;
      })(),
    );
  }

  /** One host's diagnosis with its findings and evidence bundle, in one transaction. */
  recordDiagnosis(incidentId: number, d: HostDiagnosis, groups: string[] = []): number {
    return guard(`record the diagnosis of ${d.host}`, () =>
      this.db.transaction(() => {
        const info = this.db
          .prepare(
            `INSERT INTO diagnoses (incident_id, host, host_groups, status, error, elapsed_ms, notes)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            incidentId,
            d.host,
            JSON.stringify(groups),
            d.status,
            d.error ?? null,
            Math.round(d.elapsed_ms),
            JSON.stringify(d.notes ?? []),
          );
        const diagnosisId = Number(info.lastInsertRowid);
        const insertFinding = this.db.prepare(
          `INSERT INTO findings (diagnosis_id, cause, rank, confidence, title, title_zh, evidence, commands)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        // The finding's own title is rendered with its values, in the language of the request;
        // the other language comes from the cause's title without values.
        const zh = this.get(incidentId)?.language === "zh";
        d.causes.forEach((f: Finding, i) => {
          const t = this.titles(f.id);
          insertFinding.run(
            diagnosisId,
            f.id,
            i + 1,
            f.confidence,
            zh ? (t?.en ?? f.title) : f.title,
            zh ? f.title : (t?.zh ?? null),
            JSON.stringify(f.evidence),
            JSON.stringify({ check: f.check, fix: f.fix, rollback: f.rollback, verify: f.verify }),
          );
        });
        if (d.bundle) this.insertBundle(diagnosisId, d.bundle);
        this.db
          .prepare(
            `UPDATE incidents SET status = CASE WHEN status = 'open' THEN 'diagnosed' ELSE status END,
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?`,
          )
          .run(incidentId);
        refreshIncidentFts(this.db, incidentId, this.titles);
        return diagnosisId;
      })(),
    );
  }

  private insertBundle(diagnosisId: number, bundle: EvidenceBundle): void {
    const text = JSON.stringify(bundle);
    this.db
      .prepare("INSERT INTO evidence (diagnosis_id, bundle, sha256) VALUES (?, ?, ?)")
      .run(diagnosisId, text, bundleSha256(text));
  }

  get(id: number): Incident | undefined {
    const row = this.db.prepare("SELECT * FROM incidents WHERE id = ?").get(id) as IncidentRow | undefined;
    return row && toIncident(row);
  }

  /** The incident of a chat thread (one incident per thread: the newest wins if ever two). */
  byThread(channel: string, thread: string): Incident | undefined {
    const row = this.db
      .prepare("SELECT * FROM incidents WHERE channel = ? AND thread = ? ORDER BY id DESC LIMIT 1")
      .get(channel, thread) as IncidentRow | undefined;
    return row && toIncident(row);
  }

  /** Causes that fired on any host of the incident, best first. */
  causes(id: number): string[] {
    const rows = this.db
      .prepare(
        `SELECT f.cause, MAX(f.confidence) AS c FROM findings f JOIN diagnoses d ON d.id = f.diagnosis_id
         WHERE d.incident_id = ? GROUP BY f.cause ORDER BY c DESC, f.cause`,
      )
      .all(id) as { cause: string }[];
    return rows.map((r) => r.cause);
  }

  summary(id: number): IncidentSummary | undefined {
    const i = this.get(id);
    return i && this.toSummary(i);
  }

  toSummary(i: Incident): IncidentSummary {
    return {
      id: i.id,
      hosts: i.hosts,
      symptom: i.symptom,
      status: i.status,
      causes: this.causes(i.id),
      created_at: i.created_at,
      channel: i.channel,
      thread: i.thread,
    };
  }

  recent(limit = 20): IncidentSummary[] {
    const rows = this.db
      .prepare("SELECT * FROM incidents ORDER BY id DESC LIMIT ?")
      .all(limit) as IncidentRow[];
    return rows.map((r) => this.toSummary(toIncident(r)));
  }

  open(limit = 20): IncidentSummary[] {
    const rows = this.db
      .prepare("SELECT * FROM incidents WHERE status IN ('open','diagnosed') ORDER BY id DESC LIMIT ?")
      .all(limit) as IncidentRow[];
    return rows.map((r) => this.toSummary(toIncident(r)));
  }

  detail(id: number): IncidentDetail | undefined {
    const incident = this.get(id);
    if (!incident) return undefined;
    const diagnoses = (
      this.db.prepare("SELECT * FROM diagnoses WHERE incident_id = ? ORDER BY id").all(id) as {
        id: number;
        host: string;
        host_groups: string;
        status: string;
        error: string | null;
        elapsed_ms: number;
        notes: string;
      }[]
    ).map((d) => ({
      id: d.id,
      host: d.host,
      groups: jsonColumn<string[]>(d.host_groups, []),
      status: d.status,
      error: d.error,
      elapsed_ms: d.elapsed_ms,
      notes: jsonColumn<string[]>(d.notes, []),
      findings: (
        this.db.prepare("SELECT * FROM findings WHERE diagnosis_id = ? ORDER BY rank").all(d.id) as {
          cause: string;
          rank: number;
          confidence: number;
          title: string;
          title_zh: string | null;
          evidence: string;
          commands: string;
        }[]
      ).map((f) => ({
        ...f,
        evidence: jsonColumn<string[]>(f.evidence, []),
        commands: commandsColumn(f.commands),
      })),
      evidence: this.db
        .prepare("SELECT sha256, created_at FROM evidence WHERE diagnosis_id = ? ORDER BY id")
        .all(d.id) as { sha256: string; created_at: string }[],
    }));
    const cases = this.db
      .prepare(
        "SELECT host, cause, verdict, decided_by, note, created_at FROM cases WHERE incident_id = ? ORDER BY id",
      )
      .all(id) as IncidentDetail["cases"];
    const notes = this.db
      .prepare("SELECT author, text, created_at FROM notes WHERE incident_id = ? ORDER BY id")
      .all(id) as IncidentDetail["notes"];
    return { incident, diagnoses, cases, notes };
  }

  /** The evidence bundles of an incident, one per host that produced any. */
  bundles(id: number): EvidenceBundle[] {
    const rows = this.db
      .prepare(
        `SELECT e.bundle FROM evidence e JOIN diagnoses d ON d.id = e.diagnosis_id
         WHERE d.incident_id = ? ORDER BY e.id`,
      )
      .all(id) as { bundle: string }[];
    return rows.map((r) => JSON.parse(r.bundle) as EvidenceBundle);
  }
}
