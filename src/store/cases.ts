import type Database from "better-sqlite3";
import type { SymptomCategory } from "../diagnosis/types.js";
import type { CaseRecord } from "../knowledge/types.js";
import { StoreError } from "./db.js";
import { refreshIncidentFts } from "./fts.js";
import { type CauseTitles, guard } from "./incidents.js";

export type Verdict = CaseRecord["verdict"];
export type { CaseRecord };

export class FeedbackError extends StoreError {
  constructor(message: string) {
    super(message);
    this.name = "FeedbackError";
  }
}

const CAUSE_ID = /^[a-z][a-z0-9_]{1,63}$/;

/** Feedback on incidents (confirm, reject, note) and the case history built from it. */
export class CaseStore {
  constructor(
    readonly db: Database.Database,
    private readonly titles: CauseTitles = () => undefined,
  ) {}

  /** The cause was it: a case per affected host, and the incident is resolved. */
  confirm(incidentId: number, cause: string, by: string, note?: string): number {
    return this.decide(incidentId, cause, "confirmed", by, note);
  }

  /** The cause was not it: a case per affected host; the incident stays as it is. */
  reject(incidentId: number, cause: string, by: string, note?: string): number {
    return this.decide(incidentId, cause, "rejected", by, note);
  }

  note(incidentId: number, text: string, by: string): void {
    const body = text.trim();
    if (!body) throw new FeedbackError("a note needs some text");
    guard("save the note", () =>
      this.db.transaction(() => {
        this.requireIncident(incidentId);
        this.db
          .prepare("INSERT INTO notes (incident_id, author, text) VALUES (?, ?, ?)")
          .run(incidentId, by, body);
        this.db
          .prepare("UPDATE incidents SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?")
          .run(incidentId);
        refreshIncidentFts(this.db, incidentId, this.titles);
      })(),
    );
  }

  private requireIncident(id: number): { categories: string; hosts: string } {
    const row = this.db.prepare("SELECT categories, hosts FROM incidents WHERE id = ?").get(id) as
      | { categories: string; hosts: string }
      | undefined;
    if (!row) throw new FeedbackError(`there is no incident #${id}`);
    return row;
  }

  private decide(incidentId: number, cause: string, verdict: Verdict, by: string, note?: string): number {
    if (!CAUSE_ID.test(cause))
      throw new FeedbackError(`"${cause}" is not a cause id (like tap_not_enslaved)`);
    return guard(`record the ${verdict === "confirmed" ? "confirmation" : "rejection"}`, () =>
      this.db.transaction(() => {
        const inc = this.requireIncident(incidentId);
        // The hosts where the cause fired; when it fired nowhere (a person knows better), every
        // diagnosed host of the incident.
        let hosts = this.db
          .prepare(
            `SELECT DISTINCT d.host, d.host_groups FROM diagnoses d JOIN findings f ON f.diagnosis_id = d.id
             WHERE d.incident_id = ? AND f.cause = ?`,
          )
          .all(incidentId, cause) as { host: string; host_groups: string }[];
        if (hosts.length === 0)
          hosts = this.db
            .prepare("SELECT DISTINCT host, host_groups FROM diagnoses WHERE incident_id = ?")
            .all(incidentId) as { host: string; host_groups: string }[];
        if (hosts.length === 0)
          hosts = (JSON.parse(inc.hosts) as string[]).map((h) => ({ host: h, host_groups: "[]" }));
        if (hosts.length === 0) throw new FeedbackError(`incident #${incidentId} names no host`);
        const insert = this.db.prepare(
          `INSERT INTO cases (incident_id, host, host_groups, cause, verdict, categories, decided_by, note)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        // A later verdict on the same cause replaces the earlier one.
        this.db.prepare("DELETE FROM cases WHERE incident_id = ? AND cause = ?").run(incidentId, cause);
        for (const h of hosts)
          insert.run(incidentId, h.host, h.host_groups, cause, verdict, inc.categories, by, note ?? null);
        if (verdict === "confirmed")
          this.db
            .prepare(
              `UPDATE incidents SET status = 'resolved', resolution = ?,
               updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?`,
            )
            .run(`${cause} confirmed by ${by}${note ? `: ${note}` : ""}`, incidentId);
        refreshIncidentFts(this.db, incidentId, this.titles);
        return hosts.length;
      })(),
    );
  }

  /**
   * Past verdicts on this host, on hosts sharing a group with it, or for the same symptoms,
   * newest first. The ranking decides how much each counts.
   */
  caseHistory(host: string, groups: string[], categories: SymptomCategory[], limit = 500): CaseRecord[] {
    const rows = this.db
      .prepare("SELECT host, host_groups, cause, verdict, categories FROM cases ORDER BY id DESC LIMIT ?")
      .all(limit * 4) as {
      host: string;
      host_groups: string;
      cause: string;
      verdict: Verdict;
      categories: string;
    }[];
    const wanted = new Set(groups);
    const cats = new Set(categories);
    const out: CaseRecord[] = [];
    for (const r of rows) {
      const caseGroups = JSON.parse(r.host_groups) as string[];
      const caseCats = JSON.parse(r.categories) as SymptomCategory[];
      const sameHost = r.host === host;
      const sameGroup = caseGroups.some((g) => wanted.has(g));
      if (!sameHost && !sameGroup && !caseCats.some((c) => cats.has(c))) continue;
      out.push({
        cause: r.cause,
        verdict: r.verdict,
        host: r.host,
        sameHost,
        sameGroup,
        categories: caseCats,
      });
      if (out.length >= limit) break;
    }
    return out;
  }
}
