import { describe, expect, it } from "vitest";
import { parseEbtables } from "../../src/probes/ebtables.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("ebtables", () => {
  it("reads the lab host (nft backend): filter DROP rule and nat ACCEPT with counts", () => {
    const f = parseEbtables(fixture("ebtables", "lab"));
    expect(f.chains).toContainEqual({ table: "filter", name: "FORWARD", policy: "ACCEPT" });
    expect(f.chains).toContainEqual({ table: "nat", name: "PREROUTING", policy: "ACCEPT" });
    expect(f.rules).toContainEqual(
      expect.objectContaining({
        table: "filter",
        chain: "FORWARD",
        target: "DROP",
        inIface: "vnet1",
        packets: 0,
      }),
    );
    const nat = f.rules.find((r) => r.table === "nat");
    expect(nat).toMatchObject({ chain: "PREROUTING", target: "ACCEPT", inIface: "vnet0" });
    expect(nat?.packets).toBeGreaterThan(0);
  });

  it("reads the catalog sample (§4.14)", () => {
    const f = parseEbtables(fixture("ebtables", "catalog"));
    expect(f.rules).toEqual([
      {
        table: "filter",
        chain: "FORWARD",
        spec: "-i vnet0 -j DROP",
        target: "DROP",
        inIface: "vnet0",
        packets: 2,
      },
    ]);
  });

  it("gives chains but no rules for a bare namespace, nothing for empty output", () => {
    const f = parseEbtables(fixture("ebtables", "empty"));
    expect(f.rules).toEqual([]);
    expect(f.chains).toHaveLength(6);
    expect(parseEbtables("")).toEqual({ chains: [], rules: [] });
  });

  it("refuses truncated and garbage output", () => {
    expectParseError(() => parseEbtables(half(fixture("ebtables", "lab"))), "ebtables");
    const lab = fixture("ebtables", "lab");
    expectParseError(() => parseEbtables(lab.slice(0, lab.indexOf("-p IPv4"))), "ebtables");
    expectParseError(() => parseEbtables(GARBAGE), "ebtables");
  });
});
