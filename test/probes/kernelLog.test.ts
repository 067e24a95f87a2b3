import { describe, expect, it } from "vitest";
import { parseKernelLog } from "../../src/probes/kernelLog.js";
import { expectParseError, fixture } from "./fixture.js";

describe("kernelLog", () => {
  it("reads this machine's dmesg fallback: bridge port state changes of the lab", () => {
    const f = parseKernelLog(fixture("kernelLog", "lab"));
    expect(f.source).toBe("dmesg");
    expect(f.portStates).toContainEqual({ bridge: "virbr0", port: "vnet2", state: "forwarding" });
    expect(f.portStates).toContainEqual({ bridge: "br0", port: "vnet0", state: "forwarding" });
    expect(f.lines.length).toBeLessThanOrEqual(200);
  });

  it("matches every §4.16 pattern in a journal excerpt", () => {
    const f = parseKernelLog(fixture("kernelLog", "documented"));
    expect(f.source).toBe("journal");
    expect(f.portStates.map((p) => p.state)).toEqual(["disabled", "listening", "learning", "forwarding"]);
    expect(f.martians).toEqual([{ source: "198.51.100.10", from: "198.51.100.10", dev: "br0" }]);
    expect(f.conntrackFull).toBe(2);
    expect(f.neighOverflow).toBe(1);
    expect(f.ownAddress).toBe(1);
    expect(f.linkDown).toEqual(["eno1"]);
    expect(f.promiscuous).toEqual([
      { dev: "vnet0", entered: false },
      { dev: "vnet0", entered: true },
    ]);
    expect(f.lines.some((l) => l.includes("usb"))).toBe(false);
  });

  it("treats an empty log as no events, and any text as free text", () => {
    expect(parseKernelLog("### dmesg\n").lines).toEqual([]);
    const garbage = parseKernelLog("### journal\n\u0000\u0001 {[ not a log line\n");
    expect(garbage.portStates).toEqual([]);
  });

  it("refuses output without its section marker (empty or garbage)", () => {
    expectParseError(() => parseKernelLog(""), "kernelLog");
    expectParseError(
      () => parseKernelLog("dmesg: read kernel buffer failed: Operation not permitted"),
      "kernelLog",
    );
  });
});
