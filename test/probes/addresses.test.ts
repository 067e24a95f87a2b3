import { describe, expect, it } from "vitest";
import { parseAddresses } from "../../src/probes/addresses.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("addresses", () => {
  it("reads the lab host: the bridge IPs, not on the ports", () => {
    const out = parseAddresses(fixture("addresses", "lab"));
    const inet = out.filter((a) => a.family === "inet");
    expect(inet).toContainEqual({
      ifname: "br0",
      family: "inet",
      local: "198.51.100.1",
      prefixlen: 24,
      scope: "global",
    });
    expect(inet).toContainEqual(
      expect.objectContaining({ ifname: "virbr0", local: "203.0.113.1", prefixlen: 25 }),
    );
    expect(inet.some((a) => a.ifname === "vnet0" || a.ifname === "eno1")).toBe(false);
    expect(out.some((a) => a.family === "inet6" && a.scope === "link")).toBe(true);
  });

  it("gives no addresses for a bare namespace", () => {
    expect(parseAddresses(fixture("addresses", "empty"))).toEqual([]);
  });

  it("refuses empty, truncated and garbage output", () => {
    expectParseError(() => parseAddresses(""), "addresses");
    expectParseError(() => parseAddresses(half(fixture("addresses", "lab"))), "addresses");
    expectParseError(() => parseAddresses(GARBAGE), "addresses");
  });
});
