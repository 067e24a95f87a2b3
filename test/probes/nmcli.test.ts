import { describe, expect, it } from "vitest";
import { parseNmcli, terseFields } from "../../src/probes/nmcli.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

// NetworkManager does not run here: the fixture uses nmcli's documented terse format.
describe("nmcli", () => {
  it("reads devices, states and connections", () => {
    const out = parseNmcli(fixture("nmcli", "documented"));
    expect(out).toContainEqual({ device: "br0", type: "bridge", state: "connected", connection: "br0" });
    expect(out).toContainEqual({ device: "vnet0", type: "tun", state: "unmanaged", connection: "" });
    expect(out.find((d) => d.device === "virbr0")?.state).toBe("connected (externally)");
    expect(out.find((d) => d.device === "eno1")?.connection).toBe("Wired connection 1");
  });

  it("unescapes \\: in terse fields", () => {
    expect(terseFields("eno1:ethernet:connected:my\\:conn")).toEqual([
      "eno1",
      "ethernet",
      "connected",
      "my:conn",
    ]);
  });

  it("gives no devices for empty output; refuses truncated and garbage", () => {
    expect(parseNmcli("")).toEqual([]);
    expectParseError(() => parseNmcli(half(fixture("nmcli", "documented"))), "nmcli");
    expectParseError(() => parseNmcli(GARBAGE), "nmcli");
  });
});
