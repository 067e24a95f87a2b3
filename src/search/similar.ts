import type Database from "better-sqlite3";
import type { SimilarIncident, SymptomCategory } from "../diagnosis/types.js";
import { searchIncidents } from "./index.js";

export interface SimilarQuery {
  /** The incident to compare with (excluded from the answer). */
  incident: number;
  /** Causes that fired, with their confidence. */
  causes: { id: string; confidence: number }[];
  categories: SymptomCategory[];
  symptom: string;
}

interface Candidate {
  causeScore: number;
  cause?: string;
  host?: string;
  categoryScore: number;
  textScore: number;
  confirmed: boolean;
}

// How much each kind of likeness counts. Shared fired causes say the most; a confirmed case of
// the shared cause is the best reference a person can read.
const W = { cause: 0.55, category: 0.15, text: 0.2, confirmed: 0.1 };

/**
 * Past incidents like this one: the same causes fired (weighted by confidence), the same symptom
 * categories, and similar words (FTS). Best first, scores 0-1.
 */
export function similarIncidents(db: Database.Database, q: SimilarQuery, limit = 5): SimilarIncident[] {
  const byId = new Map<number, Candidate>();
  const get = (id: number) => {
    let c = byId.get(id);
    if (!c) {
      c = { causeScore: 0, categoryScore: 0, textScore: 0, confirmed: false };
      byId.set(id, c);
    }
    return c;
  };
  const fired = q.causes.filter((c) => c.confidence >= 0.3);
  const total = fired.reduce((s, c) => s + c.confidence, 0);
  if (fired.length > 0) {
    const rows = db
      .prepare(
        `SELECT d.incident_id AS id, f.cause, d.host, MAX(f.confidence) AS conf FROM findings f
         JOIN diagnoses d ON d.id = f.diagnosis_id
         WHERE f.cause IN (${fired.map(() => "?").join(",")}) AND d.incident_id != ? AND f.confidence >= 0.3
         GROUP BY d.incident_id, f.cause ORDER BY d.incident_id DESC LIMIT 2000`,
      )
      .all(...fired.map((c) => c.id), q.incident) as {
      id: number;
      cause: string;
      host: string;
      conf: number;
    }[];
    for (const r of rows) {
      const mine = fired.find((c) => c.id === r.cause)!.confidence;
      const c = get(r.id);
      // This cause's share of what fired here, less when it was weaker there.
      c.causeScore += (mine / total) * Math.min(1, r.conf / mine);
      if (!c.cause || mine > (fired.find((f) => f.id === c.cause)?.confidence ?? 0)) {
        c.cause = r.cause;
        c.host = r.host;
      }
    }
    const confirmed = db
      .prepare(
        `SELECT incident_id AS id, cause, host FROM cases WHERE verdict = 'confirmed'
         AND cause IN (${fired.map(() => "?").join(",")}) AND incident_id != ?`,
      )
      .all(...fired.map((c) => c.id), q.incident) as { id: number; cause: string; host: string }[];
    for (const r of confirmed) {
      const c = get(r.id);
      c.confirmed = true;
      c.cause = r.cause;
      c.host = r.host;
    }
  }
  if (q.symptom.trim()) {
    for (const hit of searchIncidents(db, q.symptom, { limit: 20, exclude: q.incident })) {
      const c = get(hit.incident);
      c.textScore = Math.max(c.textScore, hit.score);
    }
  }
  if (byId.size === 0) return [];
  const ids = [...byId.keys()];
  const meta = new Map(
    (
      db
        .prepare(`SELECT id, categories, hosts FROM incidents WHERE id IN (${ids.map(() => "?").join(",")})`)
        .all(...ids) as { id: number; categories: string; hosts: string }[]
    ).map((r) => [r.id, r]),
  );
  const mineCats = new Set(q.categories);
  const out: SimilarIncident[] = [];
  for (const [id, c] of byId) {
    const m = meta.get(id);
    if (!m) continue;
    const cats = JSON.parse(m.categories) as SymptomCategory[];
    if (mineCats.size > 0 && cats.length > 0) {
      const inter = cats.filter((x) => mineCats.has(x)).length;
      c.categoryScore = inter / new Set([...cats, ...mineCats]).size;
    }
    // Categories alone (every "no internet" ever) do not make an incident similar.
    if (c.causeScore === 0 && c.textScore === 0) continue;
    const score =
      W.cause * Math.min(1, c.causeScore) +
      W.category * c.categoryScore +
      W.text * c.textScore +
      (c.confirmed ? W.confirmed : 0);
    let cause = c.cause;
    let host = c.host;
    if (!cause) {
      const top = db
        .prepare(
          `SELECT f.cause, d.host FROM findings f JOIN diagnoses d ON d.id = f.diagnosis_id
           WHERE d.incident_id = ? ORDER BY f.confidence DESC LIMIT 1`,
        )
        .get(id) as { cause: string; host: string } | undefined;
      cause = top?.cause ?? "";
      host = top?.host ?? (JSON.parse(m.hosts) as string[])[0] ?? "";
    }
    // An incident where nothing was found (an unreachable host, say) teaches nothing about a cause.
    if (!cause) continue;
    out.push({ incident: id, cause, host: host ?? "", score: Math.round(score * 1000) / 1000 });
  }
  return out
    .filter((s) => s.score >= 0.1)
    .sort((a, b) => b.score - a.score || b.incident - a.incident)
    .slice(0, limit);
}
