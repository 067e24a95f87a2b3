/** Names and addresses of one lab instance; the single source for the topology and the faults. */

export const EXTRAS = ["bridgedUplink", "macvtap", "routed", "secondBridge", "dhcp"] as const;
export type Extra = (typeof EXTRAS)[number];

/** Namespace suffixes a lab may create; cleanup matches exactly these so prefix "hm" never hits "hmehost". */
export const NS_SUFFIXES = ["host", "out", "vm1", "vm2", "vm3", "vm4", "vm5", "vm6", "lan", "jump"] as const;
export type NsKey = (typeof NS_SUFFIXES)[number];

/** Root-namespace link suffixes (veth ends in the root namespace). */
export const ROOT_LINK_SUFFIXES = ["m0", "j0"] as const;

const PREFIX_RE = /^[a-z][a-z0-9]{0,9}$/;

export function checkPrefix(prefix: string): string {
  // Root link `${prefix}m0` must fit IFNAMSIZ (15) and names must be safe for argv and file names.
  if (!PREFIX_RE.test(prefix)) throw new Error(`lab prefix must match ${PREFIX_RE} (got "${prefix}")`);
  return prefix;
}

export function nsName(prefix: string, key: NsKey): string {
  return `${prefix}${key}`;
}

export function namespacesOf(prefix: string): Record<NsKey, string> {
  const out = {} as Record<NsKey, string>;
  for (const key of NS_SUFFIXES) out[key] = nsName(prefix, key);
  return out;
}

/** Fixed addressing inside the namespaces (documentation ranges only, see common.md). */
export const NET = {
  br0: { address: "198.51.100.1", prefixLen: 24, mac: "02:00:00:00:01:01" },
  gateway: "198.51.100.254",
  outMac: "02:00:00:00:fe:01",
  internet: "203.0.113.200",
  virbr0: { address: "203.0.113.1", prefixLen: 25, network: "203.0.113.0/25", mac: "52:54:00:aa:00:01" },
  br1: { address: "203.0.113.129", prefixLen: 25, network: "203.0.113.128/25", mac: "02:00:00:00:01:02" },
  outBr1: "203.0.113.254",
  /** eno3's LAN for the macvtap guest; outside the management pool (see alloc.ts). */
  eno3: { address: "192.0.2.241", prefixLen: 29, mac: "02:00:00:00:01:03" },
  eno3Lan: "192.0.2.246",
  /** host <-> bastion link inside the namespaces; never given to a management link. */
  jumpLink: { jump: "192.0.2.249", host: "192.0.2.250", prefixLen: 30 },
  dhcpRange: ["203.0.113.50", "203.0.113.100"] as const,
} as const;

export interface GuestPlan {
  ns: NsKey;
  tap: string;
  ip: string;
  prefixLen: number;
  mac: string;
  tapMac: string;
  gateway: string;
  bridge: string | null;
}

function guest(n: number, ip: string, prefixLen: number, gateway: string, bridge: string | null): GuestPlan {
  const last = n.toString(16).padStart(2, "0");
  return {
    ns: `vm${n}` as NsKey,
    tap: `vnet${n - 1}`,
    ip,
    prefixLen,
    mac: `52:54:00:00:00:${last}`,
    tapMac: `fe:54:00:00:00:${last}`,
    gateway,
    bridge,
  };
}

export const GUESTS = {
  vm1: guest(1, "198.51.100.10", 24, NET.gateway, "br0"),
  vm2: guest(2, "198.51.100.11", 24, NET.gateway, "br0"),
  vm3: guest(3, "203.0.113.10", 25, NET.virbr0.address, "virbr0"),
  vm4: guest(4, "203.0.113.140", 25, NET.br1.address, "br1"),
  vm5: { ...guest(5, "192.0.2.242", 29, NET.eno3.address, null), tap: "macvtap0" },
  vm6: { ...guest(6, "198.51.100.50", 24, NET.gateway, null), tap: "vnet6" },
} as const;
