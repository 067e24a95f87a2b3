import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EvidenceBundle } from "../../src/probes/types.js";
import { CaseStore, FeedbackError } from "../../src/store/cases.js";
import { bundleSha256, IncidentStore, type NewIncident } from "../../src/store/incidents.js";
import { diagnosed, finding, tempDb } from "./helpers.js";

const TITLES: Record<string, { en: string; zh: string }> = {
  tap_not_enslaved: {
    en: "The VM's tap interface is not attached to any bridge",
    zh: "虚拟机的 tap 接口没有加入任何网桥",
  },
  mtu_mismatch: { en: "MTU differs along the path", zh: "路径上的 MTU 不一致" },
};
const titles = (id: string) => TITLES[id];

const base: NewIncident = {
  requestedBy: "U1",
  source: "slack",
  channel: "C1",
  thread: "1700000000.000100",
  symptom: "vm 198.51.100.10 cannot reach the host",
  categories: ["host_guest"],
  targets: ["198.51.100.10"],
  hosts: ["kvm01"],
  language: "en",
};

const bundle: EvidenceBundle = {
  version: 1,
  host: "kvm01",
  time: "2026-11-30T00:00:00.000Z",
  targets: ["198.51.100.10"],
  evidence: [
    {
      probe: "links",
      command: "ip -j -d link show",
      stdout: "[]",
      stderr: "",
      exitCode: 0,
      durationMs: 3,
      truncated: false,
      status: "ok",
    },
  ],
};

let t: ReturnType<typeof tempDb>;
let incidents: IncidentStore;
let cases: CaseStore;
beforeEach(() => {
  t = tempDb();
  incidents = new IncidentStore(t.db, titles);
  cases = new CaseStore(t.db, titles);
});
afterEach(() => t.close());

const fts = (id: number) =>
  t.db
    .prepare("SELECT symptom, hosts, causes, notes, resolution FROM incidents_fts WHERE rowid = ?")
    .get(id) as
    | { symptom: string; hosts: string; causes: string; notes: string; resolution: string }
    | undefined;

describe("IncidentStore", () => {
  it("creates an incident, finds it by thread and keeps the FTS row in step", () => {
    const id = incidents.create(base);
    expect(id).toBeGreaterThan(0);
    const inc = incidents.byThread("C1", "1700000000.000100");
    expect(inc).toMatchObject({
      id,
      status: "open",
      hosts: ["kvm01"],
      categories: ["host_guest"],
      language: "en",
    });
    expect(incidents.byThread("C1", "other")).toBeUndefined();
    expect(incidents.byThread("C2", "1700000000.000100")).toBeUndefined();
    expect(fts(id)).toMatchObject({ symptom: base.symptom, hosts: "kvm01", causes: "" });
  });

  it("records a diagnosis with findings and the evidence bundle (sha256 of the stored text)", () => {
    const id = incidents.create(base);
    incidents.recordDiagnosis(
      id,
      diagnosed("kvm01", [finding("tap_not_enslaved", 0.93), finding("mtu_mismatch", 0.4)], {
        bundle,
        notes: ["virsh is not installed"],
      }),
      ["kvm"],
    );
    const d = incidents.detail(id)!;
    expect(d.incident.status).toBe("diagnosed");
    expect(d.diagnoses).toHaveLength(1);
    const [diag] = d.diagnoses;
    expect(diag!.groups).toEqual(["kvm"]);
    expect(diag!.notes).toEqual(["virsh is not installed"]);
    expect(diag!.findings.map((f) => [f.cause, f.rank])).toEqual([
      ["tap_not_enslaved", 1],
      ["mtu_mismatch", 2],
    ]);
    expect(diag!.findings[0]!.title_zh).toBe(TITLES.tap_not_enslaved!.zh);
    expect(diag!.findings[0]!.commands.fix).toEqual(["fix tap_not_enslaved"]);
    const stored = t.db.prepare("SELECT bundle, sha256 FROM evidence").get() as {
      bundle: string;
      sha256: string;
    };
    expect(stored.sha256).toBe(bundleSha256(stored.bundle));
    expect(stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(incidents.bundles(id)).toEqual([bundle]);
    expect(incidents.causes(id)).toEqual(["tap_not_enslaved", "mtu_mismatch"]);
    const row = fts(id)!;
    expect(row.causes).toContain("tap_not_enslaved");
    expect(row.causes).toContain("tap not enslaved");
    expect(row.causes).toContain("网桥");
    expect(row.hosts).toBe("kvm01 kvm");
  });

  it("keeps the rendered title in the request's language and the cause title in the other", () => {
    const id = incidents.create({ ...base, language: "zh", symptom: "宿主机和虚拟机网络不通" });
    incidents.recordDiagnosis(
      id,
      diagnosed("kvm01", [
        finding("tap_not_enslaved", 0.9, { title: "虚拟机的 tap 接口 vnet0 没有接入任何网桥" }),
      ]),
    );
    const f = incidents.detail(id)!.diagnoses[0]!.findings[0]!;
    expect(f.title_zh).toBe("虚拟机的 tap 接口 vnet0 没有接入任何网桥");
    expect(f.title).toBe(TITLES.tap_not_enslaved!.en);
  });

  it("records a host that could not be reached, with its error and partial evidence", () => {
    const id = incidents.create(base);
    incidents.recordDiagnosis(id, {
      host: "kvm01",
      status: "unreachable",
      error: "connect ECONNREFUSED",
      causes: [],
      elapsed_ms: 5,
      bundle,
    });
    const d = incidents.detail(id)!;
    expect(d.diagnoses[0]).toMatchObject({ status: "unreachable", error: "connect ECONNREFUSED" });
    expect(d.diagnoses[0]!.evidence).toHaveLength(1);
  });

  it("lists recent and open incidents, newest first", () => {
    const a = incidents.create(base);
    const b = incidents.create({ ...base, thread: "t2", hosts: ["kvm02"] });
    cases.confirm(a, "tap_not_enslaved", "U2");
    expect(incidents.recent(10).map((i) => i.id)).toEqual([b, a]);
    expect(incidents.open(10).map((i) => i.id)).toEqual([b]);
    expect(incidents.recent(1)).toHaveLength(1);
  });

  it("turns a full database into a clear StoreError", () => {
    const pages = (t.db.pragma("page_count", { simple: true }) as number) + 2;
    t.db.pragma(`max_page_count = ${pages}`);
    expect(() => incidents.create({ ...base, symptom: "x".repeat(200_000) })).toThrow(
      /cannot record the incident: the database disk is full/,
    );
    expect(incidents.recent(5)).toEqual([]);
  });

  it("turns SQLite lock errors into a clear StoreError", () => {
    const other = new (t.db.constructor as typeof import("better-sqlite3"))(t.file);
    other.pragma("busy_timeout = 0");
    t.db.pragma("busy_timeout = 0");
    other.exec("BEGIN IMMEDIATE");
    try {
      expect(() => incidents.create(base)).toThrow(/database is locked by another process/);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
  });
});

describe("CaseStore", () => {
  it("confirm makes a case for the hosts where the cause fired and resolves the incident", () => {
    const id = incidents.create({ ...base, hosts: ["kvm"] });
    incidents.recordDiagnosis(id, diagnosed("kvm01", [finding("tap_not_enslaved", 0.9)]), ["kvm"]);
    incidents.recordDiagnosis(id, diagnosed("kvm02", [finding("mtu_mismatch", 0.6)]), ["kvm"]);
    expect(cases.confirm(id, "tap_not_enslaved", "U2", "re-attached by hand")).toBe(1);
    const d = incidents.detail(id)!;
    expect(d.incident.status).toBe("resolved");
    expect(d.incident.resolution).toBe("tap_not_enslaved confirmed by U2: re-attached by hand");
    expect(d.cases).toEqual([
      expect.objectContaining({ host: "kvm01", cause: "tap_not_enslaved", verdict: "confirmed" }),
    ]);
    expect(fts(id)!.resolution).toContain("re-attached by hand");
  });

  it("reject records a rejected case and leaves the status; a later verdict replaces it", () => {
    const id = incidents.create(base);
    incidents.recordDiagnosis(id, diagnosed("kvm01", [finding("mtu_mismatch", 0.7)]));
    cases.reject(id, "mtu_mismatch", "U3");
    expect(incidents.get(id)!.status).toBe("diagnosed");
    expect(incidents.detail(id)!.cases.map((c) => c.verdict)).toEqual(["rejected"]);
    cases.confirm(id, "mtu_mismatch", "U3");
    expect(incidents.detail(id)!.cases.map((c) => c.verdict)).toEqual(["confirmed"]);
  });

  it("a cause that never fired is recorded for every diagnosed host", () => {
    const id = incidents.create(base);
    incidents.recordDiagnosis(id, diagnosed("kvm01", []));
    expect(cases.confirm(id, "guest_side_config_or_firewall", "U2")).toBe(1);
    expect(fts(id)!.causes).toContain("guest_side_config_or_firewall");
  });

  it("refuses feedback on unknown incidents, bad cause ids and empty notes", () => {
    expect(() => cases.confirm(999, "tap_not_enslaved", "U1")).toThrow(FeedbackError);
    const id = incidents.create(base);
    expect(() => cases.confirm(id, "DROP TABLE", "U1")).toThrow(/not a cause id/);
    expect(() => cases.note(id, "   ", "U1")).toThrow(/needs some text/);
    expect(() => cases.note(999, "x", "U1")).toThrow(/no incident #999/);
  });

  it("notes are kept and searchable", () => {
    const id = incidents.create(base);
    cases.note(id, "交换机端口被限速", "U4");
    expect(incidents.detail(id)!.notes).toEqual([
      expect.objectContaining({ author: "U4", text: "交换机端口被限速" }),
    ]);
    expect(fts(id)!.notes).toBe("交换机端口被限速");
  });

  it("caseHistory marks same host, same group and symptom matches, newest first", () => {
    const mk = (
      host: string,
      groups: string[],
      cause: string,
      cats: NewIncident["categories"],
      verdict: "c" | "r",
    ) => {
      const id = incidents.create({ ...base, thread: `${host}-${cause}`, hosts: [host], categories: cats });
      incidents.recordDiagnosis(id, diagnosed(host, [finding(cause, 0.8)]), groups);
      if (verdict === "c") cases.confirm(id, cause, "U1");
      else cases.reject(id, cause, "U1");
    };
    mk("kvm01", ["kvm"], "tap_not_enslaved", ["host_guest"], "c");
    mk("kvm02", ["kvm"], "mtu_mismatch", ["large_packets"], "r");
    mk("edge01", ["edge"], "ip_forward_disabled", ["guest_outside"], "c");
    mk("edge02", ["edge"], "bridge_down", ["host_guest"], "c");
    const h = cases.caseHistory("kvm01", ["kvm"], ["host_guest"]);
    expect(h).toEqual([
      {
        cause: "bridge_down",
        verdict: "confirmed",
        host: "edge02",
        sameHost: false,
        sameGroup: false,
        categories: ["host_guest"],
      },
      {
        cause: "mtu_mismatch",
        verdict: "rejected",
        host: "kvm02",
        sameHost: false,
        sameGroup: true,
        categories: ["large_packets"],
      },
      {
        cause: "tap_not_enslaved",
        verdict: "confirmed",
        host: "kvm01",
        sameHost: true,
        sameGroup: true,
        categories: ["host_guest"],
      },
    ]);
    expect(cases.caseHistory("new01", [], ["no_ip"])).toEqual([]);
  });
});
