import type Database from "better-sqlite3";
import { searchTerms } from "./query.js";
import { bm25Window } from "./rank.js";

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

const COLUMNS = ["symptom", "hosts", "causes", "notes", "resolution"] as const;
// BM25 column weights in COLUMNS order: a cause or a host name in the query says more than a
// word of the symptom.
const WEIGHTS = [1.0, 2.0, 3.0, 1.0, 1.5];

/** How many of the newest matches are ranked (see rank.ts). */
export const WINDOW = 250;

const SELECT = `SELECT i.id, i.symptom, i.hosts, i.status, i.created_at, i.channel, i.thread`;

// Statements are prepared once per connection: preparing costs as much as a small query.
const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();
function stmt(db: Database.Database, sql: string): Database.Statement {
  let m = cache.get(db);
  if (!m) {
    m = new Map();
    cache.set(db, m);
  }
  let st = m.get(sql);
  if (!st) {
    st = db.prepare(sql);
    m.set(sql, st);
  }
  return st;
}

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
    const plain = terms.fts.map((t) => t.slice(1, -1).replace(/""/g, '"'));
    const total = (stmt(db, "SELECT max(id) AS n FROM incidents").get() as { n: number | null }).n ?? 0;
    const fetch = stmt(
      db,
      `SELECT rowid, symptom, hosts, causes, notes, resolution FROM incidents_fts
       WHERE incidents_fts MATCH ? AND rowid != ? ORDER BY rowid DESC LIMIT ${WINDOW}`,
    );
    const meta = stmt(db, `${SELECT} FROM incidents i WHERE i.id = ?`);
    const ranked = (q: string): Row[] => {
      const docs = (fetch.all(q, exclude) as Record<string, string | number>[]).map((r) => ({
        rowid: Number(r.rowid),
        cols: COLUMNS.map((c) => String(r[c] ?? "")),
      }));
      if (docs.length === 0) return [];
      const span = docs.length < WINDOW ? total : docs[0]!.rowid - docs[docs.length - 1]!.rowid + 1;
      const scores = bm25Window(docs, plain, WEIGHTS, Math.max(total, docs.length), span);
      return docs
        .map((d) => ({ id: d.rowid, s: scores.get(d.rowid) ?? 0 }))
        .sort((a, b) => b.s - a.s || b.id - a.id)
        .slice(0, limit)
        .flatMap(({ id, s }) => {
          const row = meta.get(id) as Row | undefined;
          const doc = docs.find((d) => d.rowid === id)!;
          return row ? [{ ...row, rank: -s, snippet: snippet(doc.cols, plain) }] : [];
        });
    };
    rows = ranked(ftsQuery("AND"));
    // Natural sentences rarely have every word in one incident: then any word will do.
    if (rows.length === 0 && terms.fts.length > 1) rows = ranked(ftsQuery("OR"));
  } else {
    // 1-2 character terms (大包, 丢包, vm): the trigram index cannot help, so scan, newest first.
    // instr() rather than LIKE: on an FTS5 table LIKE is handed to the trigram index, which
    // reads every row the slow way when the pattern is under 3 characters.
    const cols = COLUMNS.map((c) => `instr(lower(${c}), ?) > 0`).join(" OR ");
    const where = terms.all.map(() => `(${cols})`).join(" AND ");
    const params = terms.all.flatMap((t) => Array<string>(COLUMNS.length).fill(t));
    rows = stmt(
      db,
      `${SELECT}, 0 AS rank, NULL AS snippet FROM (
         SELECT rowid FROM incidents_fts WHERE ${where} AND rowid != ? ORDER BY rowid DESC LIMIT ?
       ) r CROSS JOIN incidents i ON i.id = r.rowid ORDER BY r.rowid DESC`,
    ).all(...params, exclude, limit) as Row[];
  }
  const causesOf = stmt(
    db,
    `SELECT f.cause, MAX(f.confidence) AS c FROM findings f JOIN diagnoses d ON d.id = f.diagnosis_id
     WHERE d.incident_id = ? GROUP BY f.cause ORDER BY c DESC, f.cause`,
  );
  return rows.map((r, i) => ({
    incident: r.id,
    id: r.id,
    // rank is the negated BM25 score; LIKE hits get a rank-order score.
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

/**
 * The first place a term occurs, with some text around it and the term in [brackets], from the
 * texts already read for ranking (FTS5's snippet() would run the query again for every hit).
 */
export function snippet(cols: string[], terms: string[], width = 48): string | null {
  for (const text of cols) {
    const lower = text.toLowerCase();
    let at = -1;
    let term = "";
    for (const t of terms) {
      const i = lower.indexOf(t.toLowerCase());
      if (i !== -1 && (at === -1 || i < at)) {
        at = i;
        term = t;
      }
    }
    if (at === -1) continue;
    const start = Math.max(0, at - width);
    const end = Math.min(text.length, at + term.length + width);
    const line = `${start > 0 ? "…" : ""}${text.slice(start, at)}[${text.slice(at, at + term.length)}]${text.slice(at + term.length, end)}${end < text.length ? "…" : ""}`;
    return line.replace(/\s+/g, " ");
  }
  return null;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
