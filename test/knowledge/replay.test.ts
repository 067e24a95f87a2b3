/**
 * Causes a network namespace cannot reproduce (no libvirt, NetworkManager, OVS; global conntrack and
 * neighbour limits; no VLAN filtering in this kernel) are tested on replay bundles: a healthy lab
 * capture with the probe outputs the catalog documents for the fault (test/fixtures/replay/<cause>.json).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { SymptomCategory } from "../../src/diagnosis/types.js";
import { buildFacts } from "../../src/facts/build.js";
import { loadKnowledge, loadRules } from "../../src/knowledge/index.js";
import type { EvidenceBundle } from "../../src/probes/types.js";

const DIR = join(import.meta.dirname, "../fixtures/replay");
const kb = loadKnowledge();

/** The complaint each bundle answers (what a user would say for this fault). */
const SYMPTOM: Record<string, SymptomCategory[]> = {
  vlan_filtering_mismatch: ["host_guest"],
  neigh_table_overflow: ["intermittent"],
  macvtap_parent_busy: ["vm_wont_start"],
  conntrack_table_full: ["intermittent", "guest_outside"],
  libvirt_network_inactive: ["vm_wont_start"],
  networkmanager_interference: ["host_guest"],
  ovs_port_missing: ["host_guest"],
  usermode_networking_by_design: ["host_guest"],
};

const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));
const load = (f: string) => JSON.parse(readFileSync(join(DIR, f), "utf8")) as EvidenceBundle;

describe("replay bundles rank their cause first", () => {
  it("every replay-tested rule has a bundle, and every bundle a symptom", () => {
    const replayRules = loadRules()
      .rules.filter((r) => "replay" in r.rule.test)
      .map((r) => r.rule.id);
    expect(files.map((f) => f.replace(/\.json$/, "")).sort()).toEqual(replayRules.sort());
    for (const id of replayRules) expect(SYMPTOM[id], id).toBeDefined();
  });

  for (const file of files) {
    const cause = file.replace(/\.json$/, "");
    for (const language of ["en", "zh"] as const)
      it(`${cause} (${language})`, async () => {
        const bundle = load(file);
        const facts = buildFacts(bundle);
        const found = await kb.evaluate(facts, {
          categories: SYMPTOM[cause] ?? [],
          targets: bundle.targets,
          language,
        });
        expect(found[0]?.id, found.map((f) => `${f.id} ${f.confidence}`).join(", ")).toBe(cause);
        expect(found[0]?.title).not.toContain("{{");
        expect(found[0]?.evidence.length).toBeGreaterThan(0);
      });
  }

  it("the same captures without the fault's evidence fire nothing", async () => {
    // The base of every bundle is a healthy lab capture: with the fault's probe outputs removed
    // (status "missing_tool"), rules requiring them stay silent and nothing else fires.
    for (const file of files) {
      const bundle = load(file);
      const facts = buildFacts(bundle);
      for (const p of ["virsh", "nmcli", "ovs", "vlans", "kernelLog", "conntrack"]) {
        facts.status[p] = "missing_tool";
        delete facts.parsed[p];
      }
      const found = await kb.evaluate(facts, {
        categories: ["host_guest"],
        targets: bundle.targets,
        language: "en",
      });
      expect(
        found.filter((f) => f.confidence >= 0.5).map((f) => f.id),
        file,
      ).toEqual([]);
    }
  });
});
