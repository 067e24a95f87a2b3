import { describe, expect, it } from "vitest";
import { nstat, parseNstat } from "../../src/probes/nstat.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("nstat", () => {
  it("reads the lab host's absolute counters", () => {
    const n = parseNstat(fixture("nstat", "lab"));
    expect(n.IpForwDatagrams).toBeGreaterThan(0);
    expect(n).toHaveProperty("TcpExtIPReversePathFilter");
    expect(Object.keys(n).length).toBeGreaterThan(100);
    expect(parseNstat(fixture("nstat", "catalog"))).toEqual({
      TcpExtIPReversePathFilter: 2,
      TcpExtArpFilter: 0,
      IpInAddrErrors: 2,
      IpOutNoRoutes: 1,
    });
  });

  it("never updates nstat's history file", () => {
    const cmd = nstat.command({ targets: [] });
    expect(cmd).toMatch(/-\w*a/);
    expect(cmd).toMatch(/-\w*s/);
  });

  it("refuses empty, truncated and garbage output", () => {
    expectParseError(() => parseNstat(""), "nstat");
    expectParseError(() => parseNstat(half(fixture("nstat", "lab"))), "nstat");
    expectParseError(() => parseNstat(GARBAGE), "nstat");
    expectParseError(() => parseNstat("[]"), "nstat");
  });
});
