import type Database from "better-sqlite3";
import type { CauseTitles } from "./incidents.js";

/**
 * Rewrites the incidents_fts row of one incident (rowid = incident id) from the tables it
 * summarises. Called inside the transaction of every change, so search never sees a half state.
 * Causes are indexed as ids, as words ("tap not enslaved") and by title in English and Chinese.
 */
export function refreshIncidentFts(db: Database.Database, id: number, titles: CauseTitles): void {
  const inc = db.prepare("SELECT symptom, hosts, resolution FROM incidents WHERE id = ?").get(id) as
    | { symptom: string; hosts: string; resolution: string | null }
    | undefined;
  db.prepare("DELETE FROM incidents_fts WHERE rowid = ?").run(id);
  if (!inc) return;
  const hosts = (JSON.parse(inc.hosts) as string[]).join(" ");
  const causeRows = db
    .prepare(
      `SELECT f.cause, f.title, f.title_zh FROM findings f JOIN diagnoses d ON d.id = f.diagnosis_id
       WHERE d.incident_id = ?
       UNION SELECT cause, NULL, NULL FROM cases WHERE incident_id = ?`,
    )
    .all(id, id) as { cause: string; title: string | null; title_zh: string | null }[];
  const causeText = new Set<string>();
  for (const r of causeRows) {
    causeText.add(r.cause);
    causeText.add(r.cause.replace(/_/g, " "));
    const t = titles(r.cause);
    for (const s of [r.title, r.title_zh, t?.en, t?.zh]) if (s) causeText.add(s);
  }
  const groups = db.prepare("SELECT DISTINCT host_groups FROM diagnoses WHERE incident_id = ?").all(id) as {
    host_groups: string;
  }[];
  const groupText = groups.flatMap((g) => JSON.parse(g.host_groups) as string[]).join(" ");
  const notes = db.prepare("SELECT text FROM notes WHERE incident_id = ? ORDER BY id").all(id) as {
    text: string;
  }[];
  db.prepare(
    "INSERT INTO incidents_fts (rowid, symptom, hosts, causes, notes, resolution) VALUES (?, ?, ?, ?, ?, ?)",
  ).run(
    id,
    inc.symptom,
    `${hosts} ${groupText}`.trim(),
    [...causeText].join("\n"),
    notes.map((n) => n.text).join("\n"),
    inc.resolution ?? "",
  );
}
