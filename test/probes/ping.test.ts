import { describe, expect, it } from "vitest";
import { parsePing, ping } from "../../src/probes/ping.js";
import { pingMtu } from "../../src/probes/pingMtu.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("ping", () => {
  it("reads the lab host: guests answer, the missing neighbour does not", () => {
    const out = parsePing(fixture("ping", "lab"));
    expect(out.map((r) => [r.target, r.sent, r.received])).toEqual([
      ["198.51.100.10", 2, 2],
      ["198.51.100.77", 2, 0],
      ["203.0.113.200", 2, 2],
      ["203.0.113.10", 2, 2],
    ]);
    expect(out[0]?.rttAvgMs).toBeGreaterThan(0);
    expect(out[0]?.error).toBeUndefined();
  });

  it("pingMtu: full-size DF frames pass to guests, the 1400 path MTU shows up", () => {
    const out = pingMtu.parse(fixture("pingMtu", "lab"), { targets: [] });
    expect(out[0]).toMatchObject({ target: "198.51.100.10", received: 2, size: 1472 });
    expect(out[1]).toMatchObject({
      target: "198.51.100.77",
      received: 0,
      error: "Destination Host Unreachable",
    });
    expect(out[2]).toMatchObject({ target: "203.0.113.200", received: 0, mtu: 1400 });
    expect(out[2]?.error).toMatch(/message too long/);
  });

  it("reads a ping that could not start", () => {
    const out = parsePing("### 192.0.2.9\nping: connect: Network is unreachable\n");
    expect(out).toEqual([{ target: "192.0.2.9", sent: 0, received: 0, error: "Network is unreachable" }]);
    expect(parsePing("")).toEqual([]);
  });

  it("builds its commands only from IPv4 targets", () => {
    expect(ping.command({ targets: ["198.51.100.10"] })).toContain('ping -c 2 -W 1 -i 0.2 "$t"');
    expect(pingMtu.command({ targets: ["198.51.100.10"] })).toContain("-M do -s 1472");
    expect(() => ping.command({ targets: ["198.51.100.10; reboot"] })).toThrow(/not an IPv4/);
  });

  it("refuses truncated and garbage output", () => {
    const lab = fixture("ping", "lab");
    expectParseError(() => parsePing(lab.slice(0, lab.indexOf("--- 198.51.100.10"))), "ping");
    expectParseError(() => parsePing(half(lab)), "ping");
    expectParseError(() => parsePing(GARBAGE), "ping");
    expectParseError(() => pingMtu.parse(GARBAGE, { targets: [] }), "pingMtu");
  });
});
