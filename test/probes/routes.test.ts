import { describe, expect, it } from "vitest";
import { parseRoutes } from "../../src/probes/routes.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("routes", () => {
  it("reads every table of the lab host", () => {
    const out = parseRoutes(fixture("routes", "lab"));
    expect(out).toContainEqual(
      expect.objectContaining({ dst: "default", gateway: "198.51.100.254", dev: "br0", table: "main" }),
    );
    expect(out).toContainEqual(
      expect.objectContaining({
        dst: "198.51.100.0/24",
        dev: "br0",
        protocol: "kernel",
        prefsrc: "198.51.100.1",
      }),
    );
    expect(out).toContainEqual(expect.objectContaining({ dst: "192.0.2.128/25", dev: "eno2", table: "100" }));
    expect(out).toContainEqual(
      expect.objectContaining({ dst: "198.51.100.1", type: "local", table: "local" }),
    );
    expect(out.every((r) => !r.dst.includes(":"))).toBe(true); // -4: no IPv6 routes
  });

  it("reads the catalog samples, linkdown flags included (§4.8, §0.2 trap 5)", () => {
    expect(parseRoutes(fixture("routes", "catalog"))).toHaveLength(3);
    const [down] = parseRoutes(fixture("routes", "catalog-linkdown"));
    expect(down?.flags).toEqual(["linkdown"]);
    expect(down?.dev).toBeUndefined();
  });

  it("gives no routes for a bare namespace and for empty output", () => {
    expect(parseRoutes(fixture("routes", "empty"))).toEqual([]);
    expect(parseRoutes("")).toEqual([]);
  });

  it("refuses truncated and garbage output", () => {
    expectParseError(() => parseRoutes(half(fixture("routes", "lab"))), "routes");
    expectParseError(() => parseRoutes(GARBAGE), "routes");
  });
});

describe("routes: multipath", () => {
  it("keeps the hops of the lab's ECMP route", () => {
    const r = parseRoutes(fixture("routes", "lab")).find((x) => x.dst === "192.0.2.0/25");
    expect(r?.dev).toBeUndefined();
    expect(r?.nexthops).toEqual([
      { gateway: "198.51.100.254", dev: "br0", flags: [] },
      { gateway: "203.0.113.126", dev: "virbr0", flags: [] },
    ]);
  });
});
