import { describe, expect, it } from "vitest";
import { parseOvs } from "../../src/probes/ovs.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

// Open vSwitch is not available on this kernel: the fixture uses ovs-vsctl's documented JSON format.
describe("ovs", () => {
  it("reads interfaces with ofport and error, and bridge ports", () => {
    const f = parseOvs(fixture("ovs", "documented"));
    expect(f.interfaces).toEqual([
      { name: "br-int", ofport: 65534, linkState: "up" },
      { name: "vnet0", ofport: 1, linkState: "up" },
      { name: "vnet5", ofport: -1, error: "could not open network device vnet5 (No such device)" },
    ]);
    expect(f.bridges).toEqual([{ name: "br-int", ports: ["vnet0", "vnet5"] }]);
  });

  it("refuses empty, truncated and garbage output", () => {
    expectParseError(() => parseOvs(""), "ovs");
    expectParseError(() => parseOvs(half(fixture("ovs", "documented"))), "ovs");
    expectParseError(() => parseOvs(`### interfaces\n${GARBAGE}`), "ovs");
    expectParseError(() => parseOvs('### interfaces\n{"data":5}'), "ovs");
  });
});
