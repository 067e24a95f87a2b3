import { describe, expect, it } from "vitest";
import { parseVlans } from "../../src/probes/vlans.js";
import { expectParseError, fixture, GARBAGE } from "./fixture.js";

describe("vlans", () => {
  it("reads the lab host without vlan_filtering as no VLANs", () => {
    expect(parseVlans(fixture("vlans", "lab"))).toEqual([]);
    expect(parseVlans(fixture("vlans", "empty"))).toEqual([]);
    expect(parseVlans("")).toEqual([]);
  });

  it("reads the array shape of iproute2 ≥5 (§4.7)", () => {
    const out = parseVlans(fixture("vlans", "catalog"));
    expect(out).toEqual([
      { ifname: "br0", vlans: [{ vid: 1, pvid: true, untagged: true }] },
      {
        ifname: "vnet0",
        vlans: [
          { vid: 10, pvid: true, untagged: true },
          { vid: 20, vidEnd: 30, pvid: false, untagged: false },
        ],
      },
    ]);
  });

  it("reads the old object keyed by ifname (iproute2 4.x)", () => {
    expect(parseVlans(fixture("vlans", "catalog-old-object"))).toEqual([
      { ifname: "vnet0", vlans: [{ vid: 1, pvid: true, untagged: true }] },
    ]);
  });

  it("refuses truncated and garbage output", () => {
    const text = fixture("vlans", "catalog");
    expectParseError(() => parseVlans(text.slice(0, text.length / 2)), "vlans");
    expectParseError(() => parseVlans(GARBAGE), "vlans");
    expectParseError(() => parseVlans('{"vnet0": 5}'), "vlans");
    expectParseError(() => parseVlans("42"), "vlans");
  });
});
