import { describe, expect, it } from "vitest";
import { parseListeners } from "../../src/probes/dhcpListeners.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("dhcpListeners", () => {
  it("reads the lab host: dnsmasq on 67 bound to virbr0 and on 53", () => {
    const out = parseListeners(fixture("dhcpListeners", "lab"));
    expect(out).toContainEqual(
      expect.objectContaining({
        proto: "udp",
        local: "0.0.0.0",
        dev: "virbr0",
        port: 67,
        process: "dnsmasq",
      }),
    );
    expect(out).toContainEqual(expect.objectContaining({ proto: "udp", local: "203.0.113.1", port: 53 }));
    expect(out).toContainEqual(
      expect.objectContaining({ proto: "tcp", port: 53, local: "[fe80::fc54:ff:fe00:3]", dev: "virbr0" }),
    );
    expect(out.every((l) => typeof l.pid === "number")).toBe(true);
  });

  it("gives no listeners when nothing listens", () => {
    expect(parseListeners(fixture("dhcpListeners", "empty"))).toEqual([]);
  });

  it("refuses truncated and garbage output", () => {
    const lab = fixture("dhcpListeners", "lab");
    expectParseError(() => parseListeners(lab.slice(0, lab.indexOf("203.0.113.1:5") + 12)), "dhcpListeners");
    expectParseError(() => parseListeners(half(lab).replace(/\n[^\n]*$/, "\nudp UNCONN 0")), "dhcpListeners");
    expectParseError(() => parseListeners(GARBAGE), "dhcpListeners");
  });
});
