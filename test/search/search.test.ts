import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { searchIncidents, searchTerms } from "../../src/search/index.js";
import { CaseStore } from "../../src/store/cases.js";
import { IncidentStore, type NewIncident } from "../../src/store/incidents.js";
import { diagnosedIncident, tempDb } from "../store/helpers.js";

const TITLES: Record<string, { en: string; zh: string }> = {
  tap_not_enslaved: {
    en: "The VM's tap interface is not attached to any bridge",
    zh: "虚拟机的 tap 接口没有加入任何网桥",
  },
  mtu_mismatch: { en: "MTU differs along the path", zh: "路径上的 MTU 不一致，大包被丢弃" },
  ip_forward_disabled: { en: "IP forwarding is off on the host", zh: "宿主机没有开启 IP 转发" },
};

let t: ReturnType<typeof tempDb>;
const ids: Record<string, number> = {};

beforeAll(() => {
  t = tempDb();
  const incidents = new IncidentStore(t.db, (id) => TITLES[id]);
  const cases = new CaseStore(t.db, (id) => TITLES[id]);
  const add = (key: string, n: Partial<NewIncident>, host: string, causes: [string, number][]) => {
    ids[key] = diagnosedIncident(incidents, host, causes, n, ["kvm"]);
  };
  add("tap", { symptom: "vm 198.51.100.10 cannot reach the host" }, "kvm01", [["tap_not_enslaved", 0.93]]);
  add("mtu", { symptom: "大包不通，小包正常", language: "zh" }, "kvm02", [["mtu_mismatch", 0.8]]);
  add("fwd", { symptom: "虚拟机无法上网", language: "zh" }, "kvm03", [["ip_forward_disabled", 0.9]]);
  add("other", { symptom: "guests are slow after migration" }, "edge01", []);
  cases.note(ids.other!, "the switch port was rate limited", "U2");
  cases.confirm(ids.fwd!, "ip_forward_disabled", "U2", "sysctl.d file was missing");
});
afterAll(() => t.close());

const hits = (q: string) => searchIncidents(t.db, q, { limit: 10 }).map((h) => h.incident);

describe("searchIncidents", () => {
  it("finds by symptom words, best first, with a score between 0 and 1", () => {
    const r = searchIncidents(t.db, "cannot reach host", { limit: 5 });
    expect(r[0]!.incident).toBe(ids.tap);
    expect(r[0]!.score).toBeGreaterThan(0);
    expect(r[0]!.score).toBeLessThanOrEqual(1);
    expect(r[0]).toMatchObject({ hosts: ["kvm01"], causes: ["tap_not_enslaved"], status: "diagnosed" });
    expect(r[0]!.snippet).toMatch(/\[/);
  });

  it("finds by cause id, by cause words and by host", () => {
    expect(hits("tap_not_enslaved")).toEqual([ids.tap]);
    expect(hits("not enslaved")).toEqual([ids.tap]);
    expect(hits("kvm02")).toEqual([ids.mtu]);
    expect(hits("attached to any bridge")).toEqual([ids.tap]);
  });

  it("finds Chinese queries: symptoms, Chinese cause titles of English incidents, 1-2 characters", () => {
    expect(hits("无法上网")).toEqual([ids.fwd]);
    expect(hits("网桥")).toEqual([ids.tap]);
    expect(hits("大包")).toEqual([ids.mtu]);
    expect(hits("包")).toEqual([ids.mtu]);
    expect(hits("IP 转发")).toEqual([ids.fwd]);
  });

  it("finds notes and resolutions", () => {
    expect(hits("rate limited")).toEqual([ids.other]);
    expect(hits("sysctl.d")).toEqual([ids.fwd]);
  });

  it("falls back to any word when no incident has all of them", () => {
    expect(hits("host zzzqqq")).toContain(ids.tap);
  });

  it("never passes user syntax to FTS5", () => {
    for (const q of [
      '"',
      'tap" OR "x',
      "NEAR(a b)",
      "symptom:host",
      "*",
      "^host",
      "a AND (b",
      "'; DROP TABLE incidents; --",
      "%",
      "_",
    ]) {
      expect(() => searchIncidents(t.db, q)).not.toThrow();
    }
    // A literal term, not a column filter: no incident has the text "symptom:host".
    expect(hits("symptom:host")).toEqual([]);
    expect(hits("%")).toEqual([]);
    expect(hits("")).toEqual([]);
    expect(searchTerms('tap" OR "x').fts).toEqual(['"tap"']);
    expect(searchTerms(`${"x".repeat(5000)} host`).all).toEqual(["x".repeat(64)]);
  });

  it("excludes an incident and respects the limit", () => {
    expect(searchIncidents(t.db, "kvm", { limit: 2 })).toHaveLength(2);
    expect(searchIncidents(t.db, "tap_not_enslaved", { exclude: ids.tap })).toEqual([]);
  });
});
