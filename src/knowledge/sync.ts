import type Database from "better-sqlite3";
import type { Knowledge } from "./engine.js";

/** Upserts every loaded rule body with its sha256 into the `rules` table; returns how many changed. */
export function syncRules(db: Database.Database, knowledge: Pick<Knowledge, "rules">): number {
  const get = db.prepare<[string], { sha256: string }>("SELECT sha256 FROM rules WHERE id = ?");
  const put = db.prepare(
    `INSERT INTO rules (id, sha256, body) VALUES (?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET sha256 = excluded.sha256, body = excluded.body,
       synced_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
  );
  let changed = 0;
  db.transaction(() => {
    for (const r of knowledge.rules) {
      if (get.get(r.rule.id)?.sha256 === r.sha256) continue;
      put.run(r.rule.id, r.sha256, r.body);
      changed++;
    }
  })();
  return changed;
}
