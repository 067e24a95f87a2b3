import type Database from "better-sqlite3";
import { likePattern, searchTerms } from "./query.js";

export { likePattern, searchTerms } from "./query.js";

export interface SearchHit {
  incident: number;
  /** The same as incident (conversation's IncidentSummary calls it id). */
  id: number;
  /** 0-1, higher is better. */
  score: number;
  symptom: string;
  hosts: string[];
  causes: string[];
  status: string;
  created_at: string;
  channel: string | null;
  thread: string | null;
  snippet: string;
}

interface Row {
  id: number;
  rank: number;
  symptom: string;
  hosts: string;
  status: string;
  created_at: string;
  channel: string | null;
  thread: string | null;
  snippet: string | null;
}

// bm25 column weights: symptom, hosts, causes, notes, resolution. A cause or a host name in the
// query says more than a word of the symptom.
const BM25 = "bm25(incidents_fts, 1.0, 2.0, 3.0, 1.0, 1.5)";

const SELECT = `SELECT i.id, i.symptom, i.hosts, i.status, i.created_at, i.channel, i.thread`;

/** Past incidents matching the query over symptom, hosts, causes (en+zh), notes and resolution. */
export function searchIncidents(
  db: Database.Database,
  query: string,
  options: { limit?: number; exclude?: number } = {},
): SearchHit[] {
  const limit = Math.max(1, Math.min(options.limit ?? 10, 100));
  const exclude = options.exclude ?? -1;
  const terms = searchTerms(query);
  if (terms.all.length === 0) return [];
  let rows: Row[] = [];
  if (terms.fts.length > 0) {
    const ftsQuery = (op: string) => terms.fts.join(` ${op} `);
    const stmt = db.prepare(
      `${SELECT}, r.bm AS rank, r.snippet FROM (
         SELECT rowid, ${BM25} AS bm,
                snippet(incidents_fts, -1, '[', ']', '…', 12) AS snippet
         FROM incidents_fts WHERE incidents_fts MATCH ? AND rowid != ? ORDER BY bm LIMIT ?
       ) r JOIN incidents i ON i.id = r.rowid ORDER BY r.bm`,
    );
    rows = stmt.all(ftsQuery("AND"), exclude, limit) as Row[];
    // Natural sentences rarely have every word in one incident: then any word will do.
    if (rows.length === 0 && terms.fts.length > 1) rows = stmt.all(ftsQuery("OR"), exclude, limit) as Row[];
  } else {
    // 1-2 character terms (大包, 丢包, vm): the trigram index cannot help, scan with LIKE.
    const where = terms.all
      .map(
        () =>
          "(symptom LIKE ? ESCAPE '\\' OR hosts LIKE ? ESCAPE '\\' OR causes LIKE ? ESCAPE '\\' OR notes LIKE ? ESCAPE '\\' OR resolution LIKE ? ESCAPE '\\')",
      )
      .join(" AND ");
    const params = terms.all.flatMap((t) => Array(5).fill(likePattern(t)) as string[]);
    rows = db
      .prepare(
        `${SELECT}, 0 AS rank, NULL AS snippet FROM (
           SELECT rowid FROM incidents_fts WHERE ${where} AND rowid != ? ORDER BY rowid DESC LIMIT ?
         ) r JOIN incidents i ON i.id = r.rowid ORDER BY i.id DESC`,
      )
      .all(...params, exclude, limit) as Row[];
  }
  const causesOf = db.prepare(
    `SELECT f.cause, MAX(f.confidence) AS c FROM findings f JOIN diagnoses d ON d.id = f.diagnosis_id
     WHERE d.incident_id = ? GROUP BY f.cause ORDER BY c DESC, f.cause`,
  );
  return rows.map((r, i) => ({
    incident: r.id,
    id: r.id,
    // bm25 is negative, more negative is better; LIKE hits get a rank-order score.
    score: r.rank < 0 ? round(-r.rank / (1 - r.rank)) : round(0.5 / (1 + i * 0.1)),
    symptom: r.symptom,
    hosts: JSON.parse(r.hosts) as string[],
    causes: (causesOf.all(r.id) as { cause: string }[]).map((c) => c.cause),
    status: r.status,
    created_at: r.created_at,
    channel: r.channel,
    thread: r.thread,
    snippet: r.snippet ?? r.symptom.slice(0, 120),
  }));
}

const round = (x: number) => Math.round(x * 1000) / 1000;
