import { describe, expect, it } from "vitest";
import { parseQdiscs } from "../../src/probes/qdiscs.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("qdiscs", () => {
  it("reads the lab host: the tbf on vnet1 dropped packets", () => {
    const out = parseQdiscs(fixture("qdiscs", "lab"));
    const tbf = out.find((q) => q.kind === "tbf");
    expect(tbf).toMatchObject({ dev: "vnet1", root: true, options: { rate: 1000, burst: 1600 } });
    expect(tbf?.drops).toBeGreaterThan(0);
    expect(out.find((q) => q.dev === "vnet0")?.kind).toBe("noqueue");
  });

  it("reads the catalog samples: tbf without dev, netem loss as a fraction (§4.9)", () => {
    const [tbf] = parseQdiscs(fixture("qdiscs", "catalog-tbf"));
    expect(tbf).toMatchObject({ dev: "", kind: "tbf", drops: 6, handle: "8001:" });
    const [netem] = parseQdiscs(fixture("qdiscs", "catalog-netem"));
    expect(netem).toMatchObject({ kind: "netem", loss: 1, drops: 12 });
  });

  it("gives no qdiscs for a bare namespace", () => {
    expect(parseQdiscs(fixture("qdiscs", "empty"))).toEqual([]);
  });

  it("refuses truncated and garbage output", () => {
    expectParseError(() => parseQdiscs(half(fixture("qdiscs", "lab"))), "qdiscs");
    expectParseError(() => parseQdiscs(GARBAGE), "qdiscs");
  });
});
