/**
 * Hand-built HostFacts for engine tests: a KVM host shaped like the lab (a LAN bridge with an uplink
 * and guest taps, a NAT network with its own taps), with every name and subnet configurable so tests
 * can use other names than the lab's. Faults are applied by small mutators on the result.
 */
import type { HostFacts, IptablesRule, LinkFact, ParsedFacts } from "../../../src/facts/types.js";

export interface GuestSpec {
  tap: string;
  ip: string;
  mac: string;
}

export interface HostSpec {
  host: string;
  bridge: string;
  bridgeIp: string;
  prefix: number;
  uplink: string;
  gateway: string;
  gatewayMac: string;
  guests: GuestSpec[];
  nat?: { bridge: string; ip: string; prefix: number; subnet: string; guests: GuestSpec[] };
  mgmt: { ifname: string; ip: string };
}

export const LAB_LIKE: HostSpec = {
  host: "kvm01",
  bridge: "br0",
  bridgeIp: "198.51.100.1",
  prefix: 24,
  uplink: "eno1",
  gateway: "198.51.100.254",
  gatewayMac: "6a:11:22:33:44:55",
  guests: [
    { tap: "vnet0", ip: "198.51.100.10", mac: "52:54:00:00:00:01" },
    { tap: "vnet1", ip: "198.51.100.11", mac: "52:54:00:00:00:02" },
  ],
  nat: {
    bridge: "virbr0",
    ip: "203.0.113.1",
    prefix: 25,
    subnet: "203.0.113.0/25",
    guests: [{ tap: "vnet2", ip: "203.0.113.10", mac: "52:54:00:00:00:03" }],
  },
  mgmt: { ifname: "mgmt0", ip: "192.0.2.2" },
};

/** Other names and subnets, for tests that must not depend on the lab's. */
export const OTHER_NAMES: HostSpec = {
  host: "hv-07",
  bridge: "lan-br",
  bridgeIp: "203.0.113.65",
  prefix: 26,
  uplink: "ens5",
  gateway: "203.0.113.126",
  gatewayMac: "02:aa:bb:cc:dd:01",
  guests: [
    { tap: "tap3", ip: "203.0.113.70", mac: "52:54:00:12:34:56" },
    { tap: "tap4", ip: "203.0.113.71", mac: "52:54:00:12:34:57" },
  ],
  nat: {
    bridge: "natbr",
    ip: "192.0.2.1",
    prefix: 25,
    subnet: "192.0.2.0/25",
    guests: [{ tap: "tap9", ip: "192.0.2.20", mac: "52:54:00:ab:cd:ef" }],
  },
  mgmt: { ifname: "mgmt1", ip: "198.51.100.6" },
};

export const tapMac = (mac: string) => `fe${mac.slice(2)}`;

let ifindex = 1;
function link(ifname: string, extra: Partial<LinkFact> = {}): LinkFact {
  const adminUp = extra.adminUp ?? true;
  const carrier = extra.carrier ?? true;
  const flags = [
    "BROADCAST",
    "MULTICAST",
    ...(adminUp ? ["UP"] : []),
    ...(carrier ? ["LOWER_UP"] : ["NO-CARRIER"]),
  ];
  return {
    ifname,
    ifindex: ifindex++,
    flags,
    adminUp,
    carrier,
    operstate: carrier && adminUp ? "UP" : "DOWN",
    mtu: 1500,
    ...extra,
  };
}

const PORT = {
  state: "forwarding",
  learning: true,
  flood: true,
  bcastFlood: true,
  isolated: false,
  locked: false,
  hairpin: false,
};

export function natRules(subnet: string, bridge: string): IptablesRule[] {
  return [
    {
      table: "filter",
      chain: "FORWARD",
      spec: `-d ${subnet} -o ${bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      target: "ACCEPT",
      outIface: bridge,
      destination: subnet,
      packets: 2,
      bytes: 168,
    },
    {
      table: "filter",
      chain: "FORWARD",
      spec: `-s ${subnet} -i ${bridge} -j ACCEPT`,
      target: "ACCEPT",
      inIface: bridge,
      source: subnet,
      packets: 2,
      bytes: 168,
    },
    {
      table: "nat",
      chain: "POSTROUTING",
      spec: `-s ${subnet} ! -d ${subnet} -j MASQUERADE`,
      target: "MASQUERADE",
      source: subnet,
      destination: `!${subnet}`,
      packets: 2,
      bytes: 168,
    },
  ];
}

export function healthyHost(spec: HostSpec = LAB_LIKE, targets: string[] = []): HostFacts {
  const net = (ip: string, len: number) => {
    const parts = ip.split(".").map(Number);
    const n = ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
    const base = len === 0 ? 0 : (n >>> (32 - len)) * 2 ** (32 - len);
    return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join(".")}/${len}`;
  };
  const links: LinkFact[] = [
    link("lo", {
      flags: ["LOOPBACK", "UP", "LOWER_UP"],
      operstate: "UNKNOWN",
      mtu: 65536,
      address: "00:00:00:00:00:00",
    }),
    link(spec.mgmt.ifname, { kind: "veth", peerInOtherNetns: true, address: "42:00:00:00:00:09" }),
    link(spec.bridge, {
      kind: "bridge",
      address: "62:33:94:ec:54:58",
      bridge: { stpState: 0, forwardDelay: 0, vlanFiltering: 0, nfCallIptables: 0 },
    }),
    link(spec.uplink, {
      kind: "veth",
      peerInOtherNetns: true,
      master: spec.bridge,
      slaveKind: "bridge",
      address: "e6:e6:41:e0:b3:e8",
      port: { ...PORT },
    }),
  ];
  for (const g of spec.guests)
    links.push(
      link(g.tap, {
        kind: "veth",
        peerInOtherNetns: true,
        master: spec.bridge,
        slaveKind: "bridge",
        address: tapMac(g.mac),
        port: { ...PORT },
      }),
    );
  if (spec.nat) {
    links.push(
      link(spec.nat.bridge, {
        kind: "bridge",
        address: "52:54:00:aa:00:01",
        bridge: { stpState: 1, forwardDelay: 200, vlanFiltering: 0, nfCallIptables: 0 },
      }),
    );
    for (const g of spec.nat.guests)
      links.push(
        link(g.tap, {
          kind: "veth",
          peerInOtherNetns: true,
          master: spec.nat.bridge,
          slaveKind: "bridge",
          address: tapMac(g.mac),
          port: { ...PORT },
        }),
      );
  }
  const allGuests = [...spec.guests, ...(spec.nat?.guests ?? [])];
  const parsed: ParsedFacts = {
    links,
    addresses: [
      { ifname: "lo", family: "inet", local: "127.0.0.1", prefixlen: 8, scope: "host" },
      { ifname: spec.mgmt.ifname, family: "inet", local: spec.mgmt.ip, prefixlen: 30, scope: "global" },
      { ifname: spec.bridge, family: "inet", local: spec.bridgeIp, prefixlen: spec.prefix, scope: "global" },
      ...(spec.nat
        ? [
            {
              ifname: spec.nat.bridge,
              family: "inet" as const,
              local: spec.nat.ip,
              prefixlen: spec.nat.prefix,
              scope: "global",
            },
          ]
        : []),
    ],
    routes: [
      { dst: "default", gateway: spec.gateway, dev: spec.bridge, flags: [] },
      {
        dst: net(spec.mgmt.ip, 30),
        dev: spec.mgmt.ifname,
        protocol: "kernel",
        scope: "link",
        prefsrc: spec.mgmt.ip,
        flags: [],
      },
      {
        dst: net(spec.bridgeIp, spec.prefix),
        dev: spec.bridge,
        protocol: "kernel",
        scope: "link",
        prefsrc: spec.bridgeIp,
        flags: [],
      },
      ...(spec.nat
        ? [
            {
              dst: spec.nat.subnet,
              dev: spec.nat.bridge,
              protocol: "kernel",
              scope: "link",
              prefsrc: spec.nat.ip,
              flags: [],
            },
          ]
        : []),
    ],
    neighbours: [
      { dst: spec.gateway, dev: spec.bridge, lladdr: spec.gatewayMac, state: ["REACHABLE"] },
      ...spec.guests.map((g) => ({ dst: g.ip, dev: spec.bridge, lladdr: g.mac, state: ["REACHABLE"] })),
      ...(spec.nat?.guests ?? []).map((g) => ({
        dst: g.ip,
        dev: spec.nat!.bridge,
        lladdr: g.mac,
        state: ["STALE"],
      })),
    ],
    fdb: [
      { mac: spec.gatewayMac, ifname: spec.uplink, master: spec.bridge, state: "", flags: [] },
      { mac: "e6:e6:41:e0:b3:e8", ifname: spec.uplink, master: spec.bridge, state: "permanent", flags: [] },
      { mac: "33:33:00:00:00:01", ifname: spec.uplink, state: "permanent", flags: ["self"] },
      ...spec.guests.flatMap((g) => [
        { mac: g.mac, ifname: g.tap, master: spec.bridge, state: "", flags: [] },
        { mac: tapMac(g.mac), ifname: g.tap, master: spec.bridge, state: "permanent", flags: [] },
      ]),
      ...(spec.nat?.guests ?? []).flatMap((g) => [
        { mac: g.mac, ifname: g.tap, master: spec.nat!.bridge, state: "", flags: [] },
        { mac: tapMac(g.mac), ifname: g.tap, master: spec.nat!.bridge, state: "permanent", flags: [] },
      ]),
    ],
    vlans: [],
    sysctls: {
      br_netfilter: "loaded",
      "net.ipv4.ip_forward": "1",
      "net.bridge.bridge-nf-call-iptables": "1",
      "net.bridge.bridge-nf-call-ip6tables": "1",
      "net.bridge.bridge-nf-call-arptables": "1",
      "net.ipv4.conf.all.rp_filter": "0",
      "net.ipv4.conf.all.arp_ignore": "0",
      "net.ipv4.conf.all.proxy_arp": "0",
      "net.ipv4.conf.all.forwarding": "1",
      ...Object.fromEntries(
        links
          .filter((l) => l.ifname !== "lo")
          .flatMap((l) => [
            [`net.ipv4.conf.${l.ifname}.forwarding`, "1"],
            [`net.ipv4.conf.${l.ifname}.rp_filter`, "0"],
            [`net.ipv4.conf.${l.ifname}.arp_ignore`, "0"],
            [`net.ipv4.conf.${l.ifname}.proxy_arp`, "0"],
          ]),
      ),
    },
    iptables: {
      backend: "nf_tables",
      chains: [
        { table: "filter", name: "INPUT", policy: "ACCEPT", packets: 0, bytes: 0 },
        { table: "filter", name: "FORWARD", policy: "ACCEPT", packets: 0, bytes: 0 },
        { table: "filter", name: "OUTPUT", policy: "ACCEPT", packets: 0, bytes: 0 },
        { table: "nat", name: "POSTROUTING", policy: "ACCEPT", packets: 0, bytes: 0 },
      ],
      rules: spec.nat ? natRules(spec.nat.subnet, spec.nat.bridge) : [],
    },
    nft: {
      tables: [
        { family: "ip", name: "filter" },
        { family: "ip", name: "nat" },
      ],
      chains: [
        {
          family: "ip",
          table: "filter",
          name: "FORWARD",
          hook: "forward",
          prio: 0,
          type: "filter",
          policy: "accept",
        },
        {
          family: "ip",
          table: "nat",
          name: "POSTROUTING",
          hook: "postrouting",
          prio: 100,
          type: "nat",
          policy: "accept",
        },
      ],
      rules: [],
    },
    ebtables: { chains: [{ table: "filter", name: "FORWARD", policy: "ACCEPT" }], rules: [] },
    qdiscs: links
      .filter((l) => l.ifname !== "lo")
      .map((l) => ({ dev: l.ifname, kind: "noqueue", root: true, drops: 0 })),
    routeLookups: targets.map((t) => {
      const g = allGuests.find((x) => x.ip === t);
      if (g && spec.nat?.guests.includes(g)) return { target: t, dev: spec.nat.bridge };
      if (g) return { target: t, dev: spec.bridge };
      return { target: t, dev: spec.bridge, gateway: spec.gateway };
    }),
    ping: targets.map((t) => ({ target: t, sent: 2, received: 2 })),
  };
  const status: HostFacts["status"] = {};
  for (const k of Object.keys(parsed)) status[k] = "ok";
  if (targets.length === 0) {
    delete parsed.ping;
    delete parsed.routeLookups;
    status.ping = "skipped";
    status.routeLookups = "skipped";
  }
  return { host: spec.host, parsed, status, notes: [] };
}

export function linkOf(f: HostFacts, name: string): LinkFact {
  const l = f.parsed.links?.find((x) => x.ifname === name);
  if (!l) throw new Error(`no link ${name}`);
  return l;
}

export function setFlags(l: LinkFact, adminUp: boolean, carrier: boolean): void {
  l.adminUp = adminUp;
  l.carrier = carrier;
  l.flags = [
    "BROADCAST",
    "MULTICAST",
    ...(adminUp ? ["UP"] : []),
    ...(carrier ? ["LOWER_UP"] : ["NO-CARRIER"]),
  ];
  l.operstate = adminUp && carrier ? "UP" : "DOWN";
}

/** A target stops answering: ping fails and its neighbour entry loses its MAC. */
export function pingFails(
  f: HostFacts,
  target: string,
  neigh: "FAILED" | "REACHABLE" | "keep" = "FAILED",
): void {
  for (const p of f.parsed.ping ?? []) if (p.target === target) p.received = 0;
  if (neigh === "keep") return;
  for (const n of f.parsed.neighbours ?? [])
    if (n.dst === target) {
      n.state = [neigh];
      if (neigh === "FAILED") delete n.lladdr;
    }
}
