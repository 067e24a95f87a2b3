import { describe, expect, it } from "vitest";
import { links, parseLinks } from "../../src/probes/links.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

describe("links", () => {
  const lab = parseLinks(fixture("links", "lab"));
  const by = (name: string) => lab.find((l) => l.ifname === name)!;

  it("reads the lab host: bridge ports, veth taps, the tun tap, the macvlan", () => {
    expect(lab.map((l) => l.ifname)).toEqual(
      expect.arrayContaining([
        "lo",
        "br0",
        "eno1",
        "vnet0",
        "vnet1",
        "virbr0",
        "vnet2",
        "tap9",
        "eno2",
        "macvlan0",
      ]),
    );
    const vnet0 = by("vnet0");
    expect(vnet0).toMatchObject({
      kind: "veth",
      master: "br0",
      slaveKind: "bridge",
      adminUp: true,
      carrier: true,
    });
    expect(vnet0.port?.state).toBe("forwarding");
    expect(vnet0.address).toBe("fe:54:00:00:00:01");
    expect(vnet0.peerInOtherNetns).toBe(true);
    // veth `link` is never used as a parent (§0.2 trap 3)
    expect(vnet0.parent).toBeUndefined();
    expect(vnet0.stats?.rxPackets).toBeGreaterThan(0);
    expect(by("vnet2").master).toBe("virbr0");
  });

  it("sees the tun tap with no reader: NO-CARRIER, numqueues 0, port disabled", () => {
    const tap = by("tap9");
    expect(tap).toMatchObject({
      kind: "tun",
      adminUp: true,
      carrier: false,
      operstate: "DOWN",
      master: "br0",
    });
    expect(tap.tun).toEqual({ type: "tap", numqueues: 0, persist: true });
    expect(tap.port?.state).toBe("disabled");
  });

  it("reads bridge settings in centiseconds and the macvlan parent", () => {
    expect(by("br0").bridge).toMatchObject({ stpState: 0, forwardDelay: 0, vlanFiltering: 0 });
    expect(by("virbr0").bridge).toMatchObject({ stpState: 1, forwardDelay: 200 });
    expect(by("macvlan0")).toMatchObject({ kind: "macvlan", parent: "eno2", macvlanMode: "bridge" });
  });

  it("reads the catalog samples (§4.1, 4.2, 4.4, 4.17)", () => {
    const [vnet0] = parseLinks(fixture("links", "catalog-vnet0"));
    expect(vnet0).toMatchObject({ ifname: "vnet0", master: "br0", mtu: 1500, carrier: true });
    expect(vnet0?.port).toMatchObject({ state: "forwarding", isolated: false, learning: true, flood: true });
    const [tap9] = parseLinks(fixture("links", "catalog-tap9"));
    expect(tap9).toMatchObject({ carrier: false, operstate: "DOWN", tun: { type: "tap", numqueues: 0 } });
    const [br0] = parseLinks(fixture("links", "catalog-br0"));
    expect(br0?.bridge).toEqual({
      stpState: 0,
      forwardDelay: 0,
      vlanFiltering: 0,
      nfCallIptables: 0,
      priority: 32768,
    });
    const [mv] = parseLinks(fixture("links", "catalog-macvtap9"));
    expect(mv).toMatchObject({ kind: "macvtap", parent: "eno3", macvlanMode: "bridge", adminUp: false });
  });

  it("drops the {} rows of filtered dumps (§0.2 trap 1)", () => {
    const out = parseLinks(
      '[{},{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"operstate":"UNKNOWN"},{}]',
    );
    expect(out.map((l) => l.ifname)).toEqual(["lo"]);
  });

  it("reads a bare namespace (only lo, down)", () => {
    const out = parseLinks(fixture("links", "empty"));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ ifname: "lo", adminUp: false });
  });

  it("refuses empty, truncated and garbage output with a ParseError", () => {
    expectParseError(() => parseLinks(""), "links");
    expectParseError(() => parseLinks(half(fixture("links", "lab"))), "links");
    expectParseError(() => parseLinks(GARBAGE), "links");
    expectParseError(() => parseLinks("[1,2,3]"), "links");
    expectParseError(() => parseLinks('{"ifname":"x"}'), "links");
  });

  it("has the registry command", () => {
    expect(links.command({ targets: [] })).toBe("ip -j -d -s link show");
  });
});
