import { describe, expect, it } from "vitest";
import { loadKnowledge } from "../../src/knowledge/index.js";
import { syncRules } from "../../src/knowledge/sync.js";
import { openDatabase } from "../../src/store/db.js";

describe("syncRules", () => {
  it("stores every rule body with its sha256, and rewrites only changed ones", () => {
    const db = openDatabase(":memory:");
    try {
      const kb = loadKnowledge();
      expect(syncRules(db, kb)).toBe(49);
      const rows = db.prepare("SELECT id, sha256, body FROM rules ORDER BY id").all() as {
        id: string;
        sha256: string;
        body: string;
      }[];
      expect(rows).toHaveLength(49);
      const tap = rows.find((r) => r.id === "tap_not_enslaved")!;
      expect(JSON.parse(tap.body).id).toBe("tap_not_enslaved");
      expect(tap.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(syncRules(db, kb)).toBe(0);
      const changed = kb.rules.map((r) =>
        r.rule.id === "bridge_down" ? { ...r, body: `${r.body} `, sha256: "0".repeat(64) } : r,
      );
      expect(syncRules(db, { rules: changed })).toBe(1);
      expect(
        (db.prepare("SELECT sha256 FROM rules WHERE id = 'bridge_down'").get() as { sha256: string }).sha256,
      ).toBe("0".repeat(64));
    } finally {
      db.close();
    }
  });
});
