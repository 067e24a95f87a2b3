import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalise, recordSpecs, restoreCommands } from "../../src/fixes/snapshot.js";
import type { RecordedValue } from "../../src/fixes/types.js";

const FIX = join(import.meta.dirname, "..", "fixtures", "probes");
const read = (probe: string, file: string) => readFileSync(join(FIX, probe, file), "utf8");

const rec = (kind: RecordedValue["kind"], value: string, key?: string): RecordedValue => ({
  kind,
  key,
  command: "(recorded)",
  value,
});

describe("recordSpecs: what a fix changes, read from its commands", () => {
  it("records the link of a tap fix, the sysctls of a forwarding fix, the link and routes of a bridge fix", () => {
    expect(recordSpecs(["ip link set vnet0 master br0", "ip link set vnet0 up"])).toEqual({
      specs: [{ kind: "link", key: "vnet0", command: "ip -j -d link show dev vnet0" }],
      uncovered: [],
    });
    expect(
      recordSpecs(["sysctl -w net.ipv4.ip_forward=1", "sysctl -w net.ipv4.conf.virbr0.forwarding=1"]).specs,
    ).toEqual([
      { kind: "sysctl", key: "net.ipv4.ip_forward", command: "sysctl -n net.ipv4.ip_forward" },
      {
        kind: "sysctl",
        key: "net.ipv4.conf.virbr0.forwarding",
        command: "sysctl -n net.ipv4.conf.virbr0.forwarding",
      },
    ]);
    expect(
      recordSpecs(["ip link set br0 up", "ip route replace default via 198.51.100.254 dev br0"]).specs.map(
        (s) => s.command,
      ),
    ).toEqual(["ip -j -d link show dev br0", "ip -j route show table main"]);
  });

  it("records whole rulesets for firewall fixes and bridge port flags for port fixes", () => {
    const { specs } = recordSpecs([
      "iptables -I FORWARD -i br0 -o br0 -j ACCEPT",
      "iptables -t nat -A POSTROUTING -s 203.0.113.0/25 -j MASQUERADE",
      "nft delete rule inet filter forward handle 7",
      "bridge link set dev vnet0 isolated off",
      "ip addr del 198.51.100.1/24 dev eno1",
    ]);
    expect(specs.map((s) => s.command)).toEqual([
      "iptables-save",
      "nft -a list ruleset",
      "bridge -j -d link show dev vnet0",
      "ip -j addr show dev eno1",
    ]);
  });

  it("leaves commands it cannot record to the rule's rollback, and never builds a command from a bad name", () => {
    expect(recordSpecs(["tc qdisc del dev vnet0 root"]).uncovered).toEqual(["tc qdisc del dev vnet0 root"]);
    expect(recordSpecs(["ip link set $(reboot) up"])).toEqual({
      specs: [],
      uncovered: ["ip link set $(reboot) up"],
    });
    expect(recordSpecs(["sysctl -w net.ipv4.ip_forward;reboot=1"]).specs).toEqual([]);
  });
});

describe("restoreCommands: back to the recorded value", () => {
  it("puts a bridge port back on its bridge, mtu and admin state from real `ip -j -d link show` output", () => {
    expect(restoreCommands(rec("link", read("links", "catalog-vnet0.txt"), "vnet0"), undefined)).toEqual([
      "ip link set dev vnet0 master br0",
      "ip link set dev vnet0 mtu 1500",
      "ip link set dev vnet0 up",
    ]);
  });

  it("detaches a device that had no master and keeps it down when it was down", () => {
    const detached = JSON.stringify([{ ifname: "vnet0", flags: ["BROADCAST", "MULTICAST"], mtu: 1500 }]);
    expect(restoreCommands(rec("link", detached, "vnet0"), undefined)).toEqual([
      "ip link set dev vnet0 nomaster",
      "ip link set dev vnet0 mtu 1500",
      "ip link set dev vnet0 down",
    ]);
  });

  it("restores nothing from empty, truncated or garbage output", () => {
    for (const text of ["", "[]", read("links", "catalog-vnet0.txt").slice(0, 120), "garbage"])
      expect(restoreCommands(rec("link", text, "vnet0"), undefined)).toEqual([]);
    expect(restoreCommands(rec("bridge_port", "garbage", "vnet0"), undefined)).toEqual([]);
  });

  it("writes sysctl values back only when they look like sysctl values", () => {
    expect(restoreCommands(rec("sysctl", "0\n", "net.ipv4.ip_forward"), undefined)).toEqual([
      "sysctl -w net.ipv4.ip_forward=0",
    ]);
    expect(restoreCommands(rec("sysctl", "4096\t87380\t6291456\n", "net.ipv4.tcp_rmem"), undefined)).toEqual([
      "sysctl -w net.ipv4.tcp_rmem='4096\t87380\t6291456'",
    ]);
    expect(restoreCommands(rec("sysctl", "1; reboot", "net.ipv4.ip_forward"), undefined)).toEqual([]);
    expect(restoreCommands(rec("sysctl", "1'", "net.ipv4.ip_forward"), undefined)).toEqual([]);
  });

  it("feeds a recorded iptables ruleset back through base64, so no byte of it reaches the shell as code", () => {
    const saved = read("iptables", "lab.txt");
    const [cmd] = restoreCommands(rec("iptables", saved), undefined);
    const m = /^sh -c 'printf %s ([A-Za-z0-9+/=]+) \| base64 -d \| iptables-restore'$/.exec(cmd ?? "");
    expect(m).not.toBeNull();
    expect(Buffer.from(m![1]!, "base64").toString("utf8")).toBe(saved);
    const [nft] = restoreCommands(rec("nft", "table inet x { chain y { } }\n"), undefined);
    expect(nft).toMatch(
      /^sh -c '\{ echo flush ruleset; printf %s [A-Za-z0-9+/=]+ \| base64 -d; \} \| nft -f -'$/,
    );
  });

  it("sets back the port flags and state of real `bridge -j -d link show` output", () => {
    const port = JSON.stringify([JSON.parse(read("bridgePorts", "lab.txt"))[1]]);
    const [cmd] = restoreCommands(rec("bridge_port", port, "vnet0"), undefined);
    expect(cmd).toMatch(/^bridge link set dev vnet0 /);
    expect(cmd).toContain("learning on");
    expect(cmd).toContain("isolated off");
    expect(cmd).toContain("state 3");
  });

  it("adds back removed addresses and removes added ones on real `ip -j addr` output", () => {
    const before = read("addresses", "lab.txt");
    const rows = JSON.parse(before) as { ifname: string; addr_info: { family: string; local: string }[] }[];
    const br0 = rows.find((r) => r.ifname === "br0")!;
    const recorded = JSON.stringify([br0]);
    const now = JSON.stringify([
      { ...br0, addr_info: [{ family: "inet", local: "192.0.2.9", prefixlen: 24 }] },
    ]);
    expect(restoreCommands(rec("addresses", recorded, "br0"), now)).toEqual([
      "ip addr del 192.0.2.9/24 dev br0",
      "ip addr add 198.51.100.1/24 dev br0",
    ]);
    expect(restoreCommands(rec("addresses", recorded, "br0"), recorded)).toEqual([]);
  });

  it("puts a deleted default route back and leaves kernel and other tables' routes alone", () => {
    const before = read("routes", "lab.txt");
    const now = JSON.stringify((JSON.parse(before) as { dst: string }[]).filter((r) => r.dst !== "default"));
    expect(restoreCommands(rec("routes", before), now)).toEqual([
      "ip route add default via 198.51.100.254 dev br0",
    ]);
    const added = JSON.stringify([
      ...JSON.parse(before),
      { dst: "198.51.100.0/25", gateway: "198.51.100.254", dev: "br0", flags: [] },
    ]);
    expect(restoreCommands(rec("routes", before), added)).toEqual([
      "ip route del 198.51.100.0/25 via 198.51.100.254 dev br0",
    ]);
  });
});

describe("normalise: comparing before and after a rollback", () => {
  it("ignores iptables counters and timestamps, and nft handles", () => {
    const a = read("iptables", "lab.txt");
    const b = a
      .replace(/\[2:168\]/g, "[9:999]")
      .replace(/on Mon Nov 30 01:35:05 2026/g, "on Tue Dec 1 00:00:00 2026");
    expect(normalise("iptables", b)).toBe(normalise("iptables", a));
    expect(normalise("iptables", a.replace("DROP", "ACCEPT"))).not.toBe(normalise("iptables", a));
    expect(normalise("nft", "table ip x { # handle 3\n chain y { # handle 1\n }\n}")).toBe(
      normalise("nft", "table ip x { # handle 9\n chain y { # handle 4\n }\n}"),
    );
  });

  it("compares a link by master, admin state and mtu", () => {
    const v = read("links", "catalog-vnet0.txt");
    expect(normalise("link", v)).toBe(JSON.stringify({ master: "br0", up: true, mtu: 1500 }));
    expect(normalise("link", "garbage")).toBe("null");
  });
});
