import { describe, expect, it } from "vitest";
import { arping, parseArping } from "../../src/probes/arping.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("arping", () => {
  it("reads the lab host (Habets arping): the guest MAC on br0, no answer for the missing one", () => {
    const out = parseArping(fixture("arping", "lab"));
    expect(out[0]).toEqual({
      target: "198.51.100.10",
      dev: "br0",
      macs: ["52:54:00:00:00:01"],
      sent: 2,
      received: 2,
    });
    expect(out[1]).toMatchObject({ target: "198.51.100.77", dev: "br0", macs: [], received: 0 });
    expect(out.find((r) => r.target === "203.0.113.10")).toMatchObject({
      dev: "virbr0",
      macs: ["52:54:00:00:00:03"],
    });
  });

  it("reads iputils arping: two MACs answering = duplicate IP; no route", () => {
    const out = parseArping(fixture("arping", "documented-iputils"));
    expect(out[0]).toMatchObject({
      dev: "br0",
      macs: ["52:54:00:00:00:01", "52:54:00:00:00:99"],
      sent: 2,
      received: 2,
    });
    expect(out[1]).toEqual({ target: "203.0.113.99", macs: [], error: "no route to 203.0.113.99" });
  });

  it("finds the device in the script and checks it before use", () => {
    const cmd = arping.command({ targets: ["198.51.100.10"] });
    expect(cmd).toContain('ip -o route get "$t"');
    expect(cmd).toContain('*[!A-Za-z0-9_.:@-]*) echo "### $t"');
    expect(arping.active).toBe(true);
  });

  it("refuses truncated and garbage output", () => {
    expectParseError(() => parseArping(half(fixture("arping", "lab"))), "arping");
    expectParseError(() => parseArping(GARBAGE), "arping");
    expectParseError(() => parseArping("### 198.51.100.10 br0;id\n"), "arping");
  });
});
