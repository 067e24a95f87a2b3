import { describe, expect, it } from "vitest";
import { parseRouteLookups, routeLookups } from "../../src/probes/routeLookups.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("routeLookups", () => {
  it("reads the lab host's lookups: direct, via the gateway with a route MTU, NAT network", () => {
    const out = parseRouteLookups(fixture("routeLookups", "lab"));
    expect(out.map((l) => l.target)).toEqual([
      "198.51.100.10",
      "198.51.100.77",
      "203.0.113.200",
      "203.0.113.10",
    ]);
    expect(out[0]).toMatchObject({ dev: "br0", prefsrc: "198.51.100.1" });
    expect(out[0]?.gateway).toBeUndefined();
    expect(out[2]).toMatchObject({ gateway: "198.51.100.254", dev: "br0", mtu: 1400 });
    expect(out[3]).toMatchObject({ dev: "virbr0", prefsrc: "203.0.113.1" });
  });

  it("records 'Network is unreachable' as an error, not a parse failure", () => {
    const out = parseRouteLookups(fixture("routeLookups", "unreachable"));
    expect(out[0]).toMatchObject({ target: "198.51.100.1", dev: "lan0" });
    expect(out[1]).toEqual({ target: "192.0.2.99", error: "Network is unreachable" });
    expect(parseRouteLookups(fixture("routeLookups", "empty")).every((l) => l.error)).toBe(true);
  });

  it("reads the catalog sample and an empty run (no targets)", () => {
    expect(parseRouteLookups(fixture("routeLookups", "catalog"))[0]).toMatchObject({ dev: "virbr0" });
    expect(parseRouteLookups("")).toEqual([]);
  });

  it("builds one script for all targets and a valid one for none", () => {
    const cmd = routeLookups.command({ targets: ["198.51.100.10", "203.0.113.10"] });
    expect(cmd).toContain("for t in 198.51.100.10 203.0.113.10; do");
    expect(routeLookups.command({ targets: [] })).toContain("for t in ; do");
  });

  it("refuses truncated and garbage output", () => {
    const lab = fixture("routeLookups", "lab");
    expectParseError(() => parseRouteLookups(lab.slice(0, lab.indexOf('"dev"'))), "routeLookups");
    expectParseError(() => parseRouteLookups(half(lab)), "routeLookups");
    expectParseError(() => parseRouteLookups(GARBAGE), "routeLookups");
  });
});
