import { describe, expect, it } from "vitest";
import { parseConntrack } from "../../src/probes/conntrack.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("conntrack", () => {
  it("reads the lab host: per-CPU statistics summed, count and max", () => {
    const f = parseConntrack(fixture("conntrack", "lab"));
    expect(f.cpus).toBe(2);
    expect(f).toMatchObject({ drop: 0, earlyDrop: 0, insertFailed: 0, max: 262144 });
    expect(f.count).toBeGreaterThan(0);
    expect(parseConntrack(fixture("conntrack", "empty")).count).toBe(0);
  });

  it("sums drops over CPUs", () => {
    const text = fixture("conntrack", "catalog").replace("drop=0 early_drop=0", "drop=3 early_drop=1");
    const f = parseConntrack(text.replace(/cpu=1(.*?)drop=0/, "cpu=1$1drop=4"));
    expect(f).toMatchObject({ drop: 7, earlyDrop: 1, count: 14, max: 262144 });
  });

  it("leaves count and max out when nf_conntrack is not loaded", () => {
    const f = parseConntrack("### count\n### max\n");
    expect(f).toEqual({ drop: 0, earlyDrop: 0, insertFailed: 0, cpus: 0 });
  });

  it("refuses empty, truncated and garbage output", () => {
    expectParseError(() => parseConntrack(""), "conntrack");
    expectParseError(() => parseConntrack(half(fixture("conntrack", "lab"))), "conntrack");
    expectParseError(() => parseConntrack(`${GARBAGE}\n### count\n1\n### max\n2\n`), "conntrack");
    expectParseError(() => parseConntrack("### count\nlots\n### max\n2\n"), "conntrack");
  });
});
