import { describe, expect, it } from "vitest";
import { parseNeighbours } from "../../src/probes/neighbours.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("neighbours", () => {
  it("reads the lab host: REACHABLE guests, the FAILED neighbour without lladdr", () => {
    const out = parseNeighbours(fixture("neighbours", "lab"));
    const failed = out.find((n) => n.dst === "198.51.100.77");
    expect(failed).toMatchObject({ dev: "br0", state: ["FAILED"] });
    expect(failed?.lladdr).toBeUndefined();
    expect(failed?.probes).toBeGreaterThan(0);
    expect(out.find((n) => n.dst === "198.51.100.10")).toMatchObject({
      dev: "br0",
      lladdr: "52:54:00:00:00:01",
      state: ["REACHABLE"],
    });
    expect(out.find((n) => n.dst === "203.0.113.10")).toMatchObject({
      dev: "virbr0",
      lladdr: "52:54:00:00:00:03",
    });
  });

  it("reads the catalog shapes: no dev, no lladdr, PERMANENT (§4.5)", () => {
    const cat = parseNeighbours(fixture("neighbours", "catalog"));
    expect(cat[0]).toEqual({
      dst: "203.0.113.55",
      dev: "virbr0",
      state: ["FAILED"],
      probes: 3,
      used: 309,
      confirmed: 379,
      updated: 301,
    });
    const other = parseNeighbours(fixture("neighbours", "catalog-other-shapes"));
    expect(other[0]).toEqual({ dst: "198.51.100.10", state: ["INCOMPLETE"] });
    expect(other[1]?.state).toEqual(["PERMANENT"]);
  });

  it("gives no neighbours for a bare namespace", () => {
    expect(parseNeighbours(fixture("neighbours", "empty"))).toEqual([]);
    expect(parseNeighbours("")).toEqual([]);
  });

  it("refuses truncated and garbage output", () => {
    expectParseError(() => parseNeighbours(half(fixture("neighbours", "lab"))), "neighbours");
    expectParseError(() => parseNeighbours(GARBAGE), "neighbours");
  });
});
