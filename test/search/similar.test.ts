import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SymptomCategory } from "../../src/diagnosis/types.js";
import { similarIncidents } from "../../src/search/similar.js";
import { CaseStore } from "../../src/store/cases.js";
import { IncidentStore } from "../../src/store/incidents.js";
import { diagnosedIncident, tempDb } from "../store/helpers.js";

let t: ReturnType<typeof tempDb>;
let incidents: IncidentStore;
let cases: CaseStore;
beforeEach(() => {
  t = tempDb();
  incidents = new IncidentStore(t.db);
  cases = new CaseStore(t.db);
});
afterEach(() => t.close());

function add(
  host: string,
  symptom: string,
  categories: SymptomCategory[],
  causes: [string, number][],
): number {
  return diagnosedIncident(incidents, host, causes, { symptom, categories });
}

describe("similarIncidents", () => {
  it("ranks a shared cause above shared words, and a confirmed case above an unconfirmed one", () => {
    const words = add(
      "kvm01",
      "vm cannot reach the host after maintenance",
      ["host_guest"],
      [["bridge_down", 0.9]],
    );
    const cause = add("kvm02", "guest unreachable", ["host_guest"], [["tap_not_enslaved", 0.9]]);
    const confirmed = add("kvm03", "guest unreachable", ["host_guest"], [["tap_not_enslaved", 0.9]]);
    cases.confirm(confirmed, "tap_not_enslaved", "U2");
    const me = add("kvm04", "vm cannot reach the host", ["host_guest"], [["tap_not_enslaved", 0.93]]);
    const s = similarIncidents(t.db, {
      incident: me,
      causes: [{ id: "tap_not_enslaved", confidence: 0.93 }],
      categories: ["host_guest"],
      symptom: "vm cannot reach the host",
    });
    expect(s.map((x) => x.incident)).toEqual([confirmed, cause, words]);
    expect(s[0]).toMatchObject({ cause: "tap_not_enslaved", host: "kvm03" });
    expect(s[2]).toMatchObject({ cause: "bridge_down", host: "kvm01" });
    for (const x of s) {
      expect(x.score).toBeGreaterThan(0);
      expect(x.score).toBeLessThanOrEqual(1);
    }
  });

  it("the same category alone, a weak finding or the incident itself do not count", () => {
    add("kvm01", "zzz", ["guest_outside"], [["masquerade_missing", 0.9]]);
    add("kvm02", "qqq", ["guest_outside"], [["ip_forward_disabled", 0.2]]);
    const me = add("kvm03", "xxx", ["guest_outside"], [["ip_forward_disabled", 0.9]]);
    expect(
      similarIncidents(t.db, {
        incident: me,
        causes: [{ id: "ip_forward_disabled", confidence: 0.9 }],
        categories: ["guest_outside"],
        symptom: "xxx",
      }),
    ).toEqual([]);
  });

  it("nothing fired and no symptom: nothing is similar", () => {
    add("kvm01", "vm slow", ["slow"], [["tc_qdisc_drop", 0.8]]);
    expect(similarIncidents(t.db, { incident: 99, causes: [], categories: ["slow"], symptom: "" })).toEqual(
      [],
    );
  });
});
