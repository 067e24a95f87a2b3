import { describe, expect, it } from "vitest";
import type { DiagnosisResult, Finding } from "../../src/diagnosis/types.js";
import { renderText } from "../../src/report/text.js";

const f = (id: string, confidence: number, extra: Partial<Finding> = {}): Finding => ({
  id,
  title: `${id} title`,
  explanation: `${id} explanation`,
  confidence,
  evidence: [`${id}: evidence line`],
  check: [`check-${id}`],
  fix: [`fix-${id}`],
  rollback: [`rollback-${id}`],
  verify: [],
  ...extra,
});

const result = (language: "en" | "zh"): DiagnosisResult => ({
  incident: 12,
  request: {
    hosts: ["kvm"],
    symptom: "vm 198.51.100.10 cannot reach the host",
    targets: ["198.51.100.10"],
    language,
  },
  hosts: [
    {
      host: "kvm01",
      status: "diagnosed",
      causes: [f("host_ip_on_enslaved_nic", 0.9, { risky: true }), f("mtu_mismatch", 0.3)],
      elapsed_ms: 640,
      notes: ["virsh: virsh is not installed"],
      distinguish: "ip -br addr show eno1",
      paths: ["198.51.100.10: breaks at host (br0): no address on the bridge"],
    },
    { host: "kvm02", status: "diagnosed", causes: [f("rp_filter_drop", 0.2)], elapsed_ms: 500 },
    {
      host: "kvm03",
      status: "unreachable",
      error: "connect ECONNREFUSED 192.0.2.3:22",
      causes: [],
      elapsed_ms: 3,
    },
  ],
  similar_incidents: [{ incident: 7, cause: "host_ip_on_enslaved_nic", host: "kvm05", score: 0.81 }],
});

describe("renderText", () => {
  const text = renderText(result("en"));

  it("heads with the incident, hosts, symptom and targets", () => {
    expect(text.split("\n").slice(0, 2)).toEqual([
      'Incident #12 — kvm — "vm 198.51.100.10 cannot reach the host"',
      "targets: 198.51.100.10",
    ]);
  });

  it("lists likely causes with confidence, evidence and commands, then the less likely ones", () => {
    const lines = text.split("\n");
    const top = lines.indexOf("  1. [ 90%] host_ip_on_enslaved_nic — host_ip_on_enslaved_nic title");
    const weak = lines.indexOf("   Less likely (below 50%):");
    expect(top).toBeGreaterThan(0);
    expect(weak).toBeGreaterThan(top);
    expect(lines.indexOf("  2. [ 30%] mtu_mismatch — mtu_mismatch title")).toBeGreaterThan(weak);
    for (const l of [
      "       - host_ip_on_enslaved_nic: evidence line",
      "       $ check-host_ip_on_enslaved_nic",
      "       $ fix-host_ip_on_enslaved_nic",
      "       $ rollback-host_ip_on_enslaved_nic",
    ])
      expect(lines).toContain(l);
    expect(text).toContain("touches the host's own management path");
    expect(text).toContain("to tell them apart: ip -br addr show eno1");
    expect(text).toContain("Notes:\n     - virsh: virsh is not installed");
    expect(text).toContain(
      "Packet path:\n     - 198.51.100.10: breaks at host (br0): no address on the bridge",
    );
  });

  it("says so when nothing reached 50%, and shows a failed host's status and error", () => {
    const kvm02 = text.slice(text.indexOf("== kvm02"), text.indexOf("== kvm03"));
    expect(kvm02).toContain("No known cause fired");
    expect(kvm02).toContain("rp_filter_drop");
    expect(text).toContain("== kvm03: unreachable — connect ECONNREFUSED 192.0.2.3:22");
  });

  it("lists similar incidents", () => {
    expect(text).toContain("Similar past incidents:\n  #7  host_ip_on_enslaved_nic  on kvm05  (81%)");
  });

  it("speaks Chinese when the request was Chinese", () => {
    const zh = renderText(result("zh"));
    expect(zh).toMatch(/^事件 #12/);
    for (const w of ["证据", "检查", "修复", "回滚", "备注", "数据包路径", "相似的以往事件", "可能性较低"])
      expect(zh).toContain(w);
    expect(zh).not.toContain("Evidence");
  });
});
