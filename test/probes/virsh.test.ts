import { describe, expect, it } from "vitest";
import { parseVirsh, virsh } from "../../src/probes/virsh.js";
import { expectParseError, fixture, GARBAGE, half } from "./fixture.js";

// virsh is not installable here in a meaningful way: the fixtures use the text formats of §4.15.
describe("virsh", () => {
  it("reads domains, interfaces, link states, lease addresses and networks", () => {
    const f = parseVirsh(fixture("virsh", "documented"));
    expect(f.domains.map((d) => [d.name, d.state])).toEqual([
      ["vm1", "running"],
      ["vm2", "shut off"],
    ]);
    const vm1 = f.domains[0]!;
    expect(vm1.interfaces).toEqual([
      {
        target: "vnet0",
        type: "bridge",
        source: "br0",
        model: "virtio",
        mac: "52:54:00:01:1d:d0",
        link: "up",
      },
      {
        target: "vnet1",
        type: "network",
        source: "default",
        model: "virtio",
        mac: "52:54:00:01:1d:d1",
        link: "down",
      },
    ]);
    expect(vm1.addresses).toEqual([
      { target: "vnet1", mac: "52:54:00:01:1d:d1", address: "192.168.122.45", prefix: 24 },
    ]);
    expect(f.domains[1]?.interfaces[0]).toMatchObject({ target: "-", source: "isolated", link: "up" });
    expect(f.networks).toEqual([
      {
        name: "default",
        active: true,
        autostart: true,
        bridge: "virbr0",
        forwardMode: "nat",
        address: "192.168.122.1",
        prefix: 24,
        dhcpRange: { start: "192.168.122.2", end: "192.168.122.254" },
      },
      {
        name: "isolated",
        active: false,
        autostart: false,
        bridge: "virbr1",
        address: "192.168.100.1",
        prefix: 24,
      },
    ]);
    expect(f.errors).toBeUndefined();
  });

  it("records connection errors instead of failing", () => {
    const f = parseVirsh(fixture("virsh", "documented-no-libvirtd"));
    expect(f.domains).toEqual([]);
    expect(f.errors?.[0]).toBe("error: failed to connect to the hypervisor");
  });

  it("uses a read-only libvirt connection", () => {
    expect(virsh.command({ targets: [] })).toContain("virsh -r -c qemu:///system -q");
  });

  it("refuses empty, truncated and garbage output", () => {
    expectParseError(() => parseVirsh(""), "virsh");
    expectParseError(() => parseVirsh(half(fixture("virsh", "documented"))), "virsh");
    expectParseError(() => parseVirsh(GARBAGE), "virsh");
    const text = fixture("virsh", "documented");
    expectParseError(() => parseVirsh(text.slice(0, text.lastIndexOf("</network>"))), "virsh");
  });
});

describe("virsh: network addresses", () => {
  it("turns a netmask into a prefix and leaves a non-contiguous mask out", () => {
    const doc = fixture("virsh", "documented");
    const with16 = parseVirsh(doc.replace("netmask='255.255.255.0'", "netmask='255.255.0.0'"));
    expect(with16.networks[0]?.prefix).toBe(16);
    const odd = parseVirsh(doc.replace("netmask='255.255.255.0'", "netmask='255.0.255.0'"));
    expect(odd.networks[0]?.prefix).toBeUndefined();
    expect(odd.networks[0]?.address).toBe("192.168.122.1");
  });
});
