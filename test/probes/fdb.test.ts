import { describe, expect, it } from "vitest";
import { parseFdb } from "../../src/probes/fdb.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("fdb", () => {
  it("reads the lab host: learned guest MACs, the static entry, permanent local ones", () => {
    const out = parseFdb(fixture("fdb", "lab"));
    expect(out).toContainEqual({
      mac: "52:54:00:00:00:aa",
      ifname: "vnet1",
      master: "br0",
      state: "static",
      flags: [],
    });
    const learned = out.find((e) => e.mac === "52:54:00:00:00:01" && e.master === "br0");
    expect(learned).toMatchObject({ ifname: "vnet0", state: "" });
    expect(out.some((e) => e.state === "permanent" && e.flags.includes("self"))).toBe(true);
  });

  it("reads the catalog sample (§4.6)", () => {
    const out = parseFdb(fixture("fdb", "catalog"));
    expect(out).toHaveLength(4);
    expect(out[0]).toEqual({ mac: "e6:e6:41:e0:b3:e8", ifname: "eno1", master: "br0", state: "", flags: [] });
  });

  it("gives no entries for a namespace without bridges", () => {
    expect(parseFdb(fixture("fdb", "empty"))).toEqual([]);
  });

  it("refuses truncated and garbage output", () => {
    expectParseError(() => parseFdb(half(fixture("fdb", "lab"))), "fdb");
    expectParseError(() => parseFdb(GARBAGE), "fdb");
  });
});
