import { describe, expect, it } from "vitest";
import { iptables, parseIptablesSave } from "../../src/probes/iptables.js";
import { iptablesLegacy } from "../../src/probes/iptablesLegacy.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("iptables", () => {
  it("reads the lab host: FORWARD policy DROP with packet counts, libvirt-like accepts, MASQUERADE", () => {
    const f = parseIptablesSave(fixture("iptables", "lab"));
    expect(f.backend).toBe("nf_tables");
    expect(f.chains).toContainEqual({
      table: "filter",
      name: "FORWARD",
      policy: "DROP",
      packets: 2,
      bytes: 168,
    });
    const masq = f.rules.find((r) => r.target === "MASQUERADE");
    expect(masq).toMatchObject({ table: "nat", chain: "POSTROUTING", source: "203.0.113.0/25" });
    expect(masq?.destination).toBe("!203.0.113.0/25");
    expect(masq?.packets).toBeGreaterThan(0);
    const fwd = f.rules.filter((r) => r.chain === "FORWARD");
    expect(fwd).toHaveLength(2);
    expect(fwd[0]).toMatchObject({ outIface: "virbr0", destination: "203.0.113.0/25", target: "ACCEPT" });
    expect(fwd[1]).toMatchObject({ inIface: "virbr0", source: "203.0.113.0/25", target: "ACCEPT" });
  });

  it("reads the catalog samples (§4.11), policy changed to DROP", () => {
    const f = parseIptablesSave(fixture("iptables", "catalog-forward-drop"));
    expect(f.chains.find((c) => c.name === "FORWARD")).toMatchObject({ policy: "DROP", packets: 2 });
    expect(parseIptablesSave(fixture("iptables", "catalog")).rules).toHaveLength(3);
  });

  it("keeps the legacy-tables warning, user chains without policy, quoted comments", () => {
    const f = parseIptablesSave(fixture("iptables", "documented-legacy-warning"));
    expect(f.warnings?.[0]).toMatch(/iptables-legacy tables present/);
    const user = f.chains.find((c) => c.name === "LIBVIRT_FWI");
    expect(user?.policy).toBeUndefined();
    expect(f.rules.find((r) => r.chain === "LIBVIRT_FWI" && r.target === "REJECT")?.packets).toBe(1);
    expect(f.rules[1]?.spec).toContain('--comment "libvirt: allow \\"established\\""');
  });

  it("gives no rules for a namespace without tables (empty output)", () => {
    expect(parseIptablesSave(fixture("iptables", "empty"))).toEqual({ chains: [], rules: [] });
    expect(parseIptablesSave(fixture("iptablesLegacy", "lab"), "iptablesLegacy")).toEqual({
      chains: [],
      rules: [],
    });
  });

  it("refuses truncated and garbage output", () => {
    expectParseError(() => parseIptablesSave(half(fixture("iptables", "lab"))), "iptables");
    expectParseError(() => parseIptablesSave(GARBAGE), "iptables");
    expectParseError(
      () => parseIptablesSave(half(fixture("iptables", "lab")), "iptablesLegacy"),
      "iptablesLegacy",
    );
  });

  it("needs root and names its tool", () => {
    expect(iptables).toMatchObject({ root: true, tool: "iptables-save" });
    expect(iptablesLegacy).toMatchObject({ root: true, tool: "iptables-legacy-save" });
  });
});
