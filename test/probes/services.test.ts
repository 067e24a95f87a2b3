import { describe, expect, it } from "vitest";
import { parseServices, UNITS } from "../../src/probes/services.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("services", () => {
  it("reads the lab host: no systemd, the dnsmasq process, not its own shell as qemu", () => {
    const f = parseServices(fixture("services", "lab"));
    expect(f.units).toEqual({});
    expect(f.processes).toHaveLength(1);
    expect(f.processes[0]?.command).toMatch(/^dnsmasq .*--interface=virbr0/);
    expect(f.ufwForwardPolicy).toBeUndefined();
    expect(f.firewalldZones).toBeUndefined();
  });

  it("reads unit states, qemu processes, ufw policy and firewalld zones (documented formats)", () => {
    const f = parseServices(fixture("services", "documented"));
    expect(Object.keys(f.units)).toEqual([...UNITS]);
    expect(f.units).toMatchObject({
      firewalld: "active",
      libvirtd: "active",
      NetworkManager: "active",
      docker: "inactive",
    });
    expect(f.processes.map((p) => p.pid)).toEqual([1234, 1235, 2345]);
    expect(f.ufwForwardPolicy).toBe("DROP");
    expect(f.firewalldZones).toEqual([
      { zone: "libvirt", interfaces: ["virbr0"], sources: [] },
      { zone: "public", interfaces: ["eno1"], sources: ["198.51.100.0/24"] },
    ]);
  });

  it("refuses empty, truncated and garbage output", () => {
    expectParseError(() => parseServices(""), "services");
    expectParseError(() => parseServices(half(fixture("services", "documented"))), "services");
    expectParseError(() => parseServices(GARBAGE), "services");
    expectParseError(() => parseServices("### units\nactive\n### firewalld\n"), "services");
  });
});

describe("services: firewalld answers that are not zones", () => {
  it("leaves the zones out when firewalld is not running or polkit refuses", () => {
    const base = fixture("services", "documented");
    const cut = base.slice(0, base.indexOf("### firewalld"));
    for (const answer of [
      "FirewallD is not running",
      "Authorization failed.\n    Make sure polkit agent is running",
    ]) {
      const f = parseServices(`${cut}### firewalld\n${answer}\n`);
      expect(f.firewalldZones).toBeUndefined();
      expect(f.ufwForwardPolicy).toBe("DROP");
    }
  });
});
