import { describe, expect, it } from "vitest";
import { parseBridgePorts } from "../../src/probes/bridgePorts.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("bridgePorts", () => {
  it("reads the lab host: vnet0 master br0 forwarding, vnet2 on virbr0, the dead tap disabled", () => {
    const out = parseBridgePorts(fixture("bridgePorts", "lab"));
    const by = (n: string) => out.find((p) => p.ifname === n);
    expect(by("vnet0")).toMatchObject({
      master: "br0",
      state: "forwarding",
      learning: true,
      flood: true,
      isolated: false,
    });
    // `link` would say br0 for vnet2 in some netns layouts (§0.2 trap 3): master is what counts
    expect(by("vnet2")?.master).toBe("virbr0");
    expect(by("tap9")).toMatchObject({ master: "br0", state: "disabled" });
    expect(by("eno1")).toMatchObject({ master: "br0", state: "forwarding", hairpin: false, locked: false });
    expect(out.some((p) => p.ifname === "macvlan0")).toBe(false);
  });

  it("reads the catalog sample (§4.3) without -d keys", () => {
    const out = parseBridgePorts(fixture("bridgePorts", "catalog"));
    expect(out).toHaveLength(2);
    expect(out[1]).toMatchObject({
      ifname: "vnet0",
      master: "br0",
      state: "forwarding",
      priority: 32,
      cost: 2,
    });
    expect(out[1]?.learning).toBeUndefined();
  });

  it("gives no ports for a namespace without bridges", () => {
    expect(parseBridgePorts(fixture("bridgePorts", "empty"))).toEqual([]);
    expect(parseBridgePorts("")).toEqual([]);
  });

  it("refuses truncated and garbage output", () => {
    expectParseError(() => parseBridgePorts(half(fixture("bridgePorts", "lab"))), "bridgePorts");
    expectParseError(() => parseBridgePorts(GARBAGE), "bridgePorts");
  });
});
