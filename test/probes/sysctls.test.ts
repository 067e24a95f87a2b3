import { describe, expect, it } from "vitest";
import { parseSysctls } from "../../src/probes/sysctls.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("sysctls", () => {
  it("reads the lab host: forwarding on, rp_filter strict on all, br_netfilter loaded", () => {
    const s = parseSysctls(fixture("sysctls", "lab"));
    expect(s["net.ipv4.ip_forward"]).toBe("1");
    expect(s["net.ipv4.conf.all.rp_filter"]).toBe("1");
    expect(s["net.ipv4.conf.br0.forwarding"]).toBe("1");
    expect(s["net.bridge.bridge-nf-call-iptables"]).toBe("1");
    expect(s["net.netfilter.nf_conntrack_max"]).toMatch(/^\d+$/);
    expect(s.br_netfilter).toBe("loaded");
  });

  it("reads a fresh namespace: forwarding off", () => {
    const s = parseSysctls(fixture("sysctls", "empty"));
    expect(s["net.ipv4.ip_forward"]).toBe("0");
    expect(s["net.ipv4.conf.lo.rp_filter"]).toBeDefined();
  });

  it("says br_netfilter is not loaded when /proc/sys/net/bridge is absent", () => {
    const lab = fixture("sysctls", "lab");
    const withoutBridge = `${lab
      .split("\n")
      .filter((l) => l.startsWith("net.ipv4."))
      .join("\n")}\n### br_netfilter\n`;
    const s = parseSysctls(withoutBridge);
    expect(s.br_netfilter).toBe("not_loaded");
    expect(s["net.bridge.bridge-nf-call-iptables"]).toBeUndefined();
  });

  it("refuses empty, truncated and garbage output", () => {
    expectParseError(() => parseSysctls(""), "sysctls");
    expectParseError(() => parseSysctls(half(fixture("sysctls", "lab"))), "sysctls");
    expectParseError(() => parseSysctls(`${GARBAGE}\n### br_netfilter\n`), "sysctls");
  });
});
