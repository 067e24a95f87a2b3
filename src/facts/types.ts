/**
 * Parsed facts: what the probe parsers make of the evidence. Parsers decide nothing; the
 * knowledge layer derives the host model and packet paths from these.
 * Field names follow the iproute2 JSON where one exists (see kvm-network-causes.md §4).
 */
import type { EvidenceStatus } from "../probes/types.js";

export interface LinkFact {
  ifname: string;
  ifindex: number;
  /** linkinfo.info_kind: bridge, veth, tun, macvtap, macvlan, vlan, bond, ...; undefined for a physical NIC. */
  kind?: string;
  flags: string[];
  /** "UP" in flags. */
  adminUp: boolean;
  /** "LOWER_UP" in flags and not "NO-CARRIER". */
  carrier: boolean;
  operstate: string;
  mtu: number;
  master?: string;
  /** linkinfo.info_slave_kind: bridge, openvswitch, bond. */
  slaveKind?: string;
  address?: string;
  /** `link` for macvtap/macvlan/vlan (the parent); never used for veth (wrong netns, §0.2 trap 3). */
  parent?: string;
  /** veth whose peer lives in another namespace (link_netnsid present). */
  peerInOtherNetns?: boolean;
  tun?: { type: string; numqueues?: number; persist?: boolean };
  macvlanMode?: string;
  /** info_data of a bridge. Timers in centiseconds as printed. */
  bridge?: {
    stpState: number;
    forwardDelay: number;
    vlanFiltering: number;
    nfCallIptables?: number;
    priority?: number;
  };
  /** info_slave_data of a bridge port. */
  port?: {
    state: string;
    learning: boolean;
    flood: boolean;
    bcastFlood: boolean;
    isolated: boolean;
    locked: boolean;
    hairpin: boolean;
    forwardDelayTimer?: number;
  };
  stats?: {
    rxPackets: number;
    txPackets: number;
    rxDropped: number;
    txDropped: number;
    rxErrors?: number;
    txErrors?: number;
    rxBytes?: number;
    txBytes?: number;
  };
  /** ifindex of the veth peer (`link_index`), meaningful only in the peer's namespace. */
  linkIndex?: number;
}

/** One row of `bridge -j -d link show`: a bridge port as the bridge sees it. `link` is ignored (§0.2 trap 3). */
export interface BridgePortFact {
  ifname: string;
  ifindex: number;
  /** The bridge. */
  master?: string;
  /** disabled, listening, learning, forwarding, blocking. */
  state: string;
  flags: string[];
  mtu?: number;
  priority?: number;
  cost?: number;
  learning?: boolean;
  flood?: boolean;
  mcastFlood?: boolean;
  bcastFlood?: boolean;
  hairpin?: boolean;
  isolated?: boolean;
  locked?: boolean;
  neighSuppress?: boolean;
  proxyArp?: boolean;
}

export interface AddressFact {
  ifname: string;
  family: "inet" | "inet6";
  local: string;
  prefixlen: number;
  scope?: string;
}

export interface RouteFact {
  /** "default" or CIDR or a bare address (host route). */
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  protocol?: string;
  scope?: string;
  flags: string[];
  /** "main" when the dump printed no table. */
  table?: string;
  /** unicast when absent in the dump; local, broadcast, blackhole, unreachable, prohibit, ... */
  type?: string;
  metric?: number;
}

export interface RouteLookup {
  target: string;
  dev?: string;
  gateway?: string;
  prefsrc?: string;
  /** "Network is unreachable" and the like. */
  error?: string;
  /** local, unicast, unreachable, ... as `ip route get` prints it (absent = unicast). */
  type?: string;
  flags?: string[];
}

export interface NeighFact {
  dst: string;
  dev?: string;
  lladdr?: string;
  state: string[];
  probes?: number;
  /** Seconds since the entry was last used/confirmed/updated (`-s`). */
  used?: number;
  confirmed?: number;
  updated?: number;
  router?: boolean;
}

export interface FdbFact {
  mac: string;
  ifname: string;
  master?: string;
  state: string;
  flags: string[];
  vlan?: number;
}

export interface VlanFact {
  ifname: string;
  vlans: { vid: number; vidEnd?: number; pvid: boolean; untagged: boolean }[];
}

export interface IptablesChain {
  table: string;
  name: string;
  /** Built-in chains only. */
  policy?: string;
  packets: number;
  bytes: number;
}

export interface IptablesRule {
  table: string;
  chain: string;
  /** The rule text after `-A CHAIN`. */
  spec: string;
  target?: string;
  inIface?: string;
  outIface?: string;
  source?: string;
  destination?: string;
  packets: number;
  bytes: number;
}

export interface IptablesFacts {
  backend?: string;
  chains: IptablesChain[];
  rules: IptablesRule[];
}

export interface NftChain {
  family: string;
  table: string;
  name: string;
  hook?: string;
  prio?: number;
  type?: string;
  policy?: string;
}

export interface NftRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  /** accept, drop, reject, jump, goto, return, masquerade, snat, dnat, or the xt target name. */
  verdict?: string;
  jumpTarget?: string;
  packets?: number;
  iifname?: string;
  oifname?: string;
  saddr?: string;
  daddr?: string;
  comment?: string;
  /** A readable one-line rendering for evidence lines. */
  text: string;
}

export interface NftFacts {
  tables: { family: string; name: string }[];
  chains: NftChain[];
  rules: NftRule[];
}

export interface EbtablesFacts {
  chains: { table: string; name: string; policy: string }[];
  rules: {
    table: string;
    chain: string;
    spec: string;
    target: string;
    inIface?: string;
    outIface?: string;
    packets: number;
  }[];
}

export interface QdiscFact {
  dev: string;
  kind: string;
  handle?: string;
  root: boolean;
  drops: number;
  /** netem loss as a fraction (1 = 100%). */
  loss?: number;
  options?: Record<string, unknown>;
}

export interface ConntrackFacts {
  count?: number;
  max?: number;
  /** Sums over CPUs of `conntrack -S`; 0 when conntrack printed no statistics. */
  drop: number;
  earlyDrop: number;
  insertFailed: number;
  /** Number of per-CPU lines seen; 0 when `conntrack -S` gave nothing (module not loaded). */
  cpus: number;
}

export interface KernelLogFacts {
  lines: string[];
  portStates: { bridge: string; port: string; state: string }[];
  martians: { source: string; from: string; dev: string }[];
  conntrackFull: number;
  neighOverflow: number;
  ownAddress: number;
  linkDown: string[];
}

export interface VirshInterface {
  target: string;
  type: string;
  source: string;
  model?: string;
  mac: string;
  link?: "up" | "down";
}

export interface VirshDomain {
  name: string;
  state: string;
  interfaces: VirshInterface[];
  addresses: { target: string; mac: string; address: string; prefix: number }[];
}

export interface VirshNetwork {
  name: string;
  active: boolean;
  autostart: boolean;
  bridge?: string;
  /** nat, route, open, bridge, ...; undefined = isolated. */
  forwardMode?: string;
  address?: string;
  prefix?: number;
  dhcpRange?: { start: string; end: string };
}

export interface VirshFacts {
  domains: VirshDomain[];
  networks: VirshNetwork[];
}

export interface PingResult {
  target: string;
  sent: number;
  received: number;
  /** "Frag needed and DF set (mtu = N)" and the like, when ping printed it. */
  mtu?: number;
  rttAvgMs?: number;
  /** Payload size used; 1472 with DF set for the path-MTU probe. */
  size?: number;
  error?: string;
}

export interface ArpingResult {
  target: string;
  dev?: string;
  /** Distinct MACs that answered, in order of first reply (two or more = duplicate IP). */
  macs: string[];
  sent?: number;
  received?: number;
  error?: string;
}

/** A socket listener from `ss -H -ulpn` / `ss -H -lpn`. */
export interface ListenerFact {
  proto: string;
  /** Address without the port; `*` or `0.0.0.0` for any; `%dev` kept when the socket is bound to a device. */
  local: string;
  port: number;
  /** Bound device (`0.0.0.0%virbr0`), when present. */
  dev?: string;
  /** The program name from `users:(("dnsmasq",pid=...))`. */
  process?: string;
  pid?: number;
}

export interface ServiceFacts {
  /** systemctl is-active per unit name: active, inactive, failed, unknown. */
  units: Record<string, string>;
  processes: { pid: number; command: string }[];
  /** UDP/67 and 53 listeners: kept for compatibility; the dhcpListeners probe fills its own fact. */
  listeners: ListenerFact[];
  /** DEFAULT_FORWARD_POLICY from /etc/default/ufw (DROP, ACCEPT, REJECT) when the file exists. */
  ufwForwardPolicy?: string;
  /** firewall-cmd --get-active-zones, when firewall-cmd exists and answers. */
  firewalldZones?: { zone: string; interfaces: string[]; sources: string[] }[];
}

export interface OvsFacts {
  bridges: { name: string; ports: string[] }[];
  /** ofport -1 with an error means the port could not be added (§3 #47). */
  interfaces: { name: string; ofport: number; error?: string; linkState?: string }[];
}

export interface NmDeviceFact {
  device: string;
  type: string;
  /** connected, disconnected, unmanaged, unavailable, connecting (...), ... */
  state: string;
  /** "" when none (nmcli prints "--" in plain mode and "" in terse mode). */
  connection: string;
}

/** Every parsed fact of one host, keyed by probe id; absent when the probe did not run or failed. */
export interface ParsedFacts {
  links?: LinkFact[];
  addresses?: AddressFact[];
  routes?: RouteFact[];
  routeLookups?: RouteLookup[];
  bridgePorts?: BridgePortFact[];
  neighbours?: NeighFact[];
  fdb?: FdbFact[];
  vlans?: VlanFact[];
  /**
   * Sysctl key → value. The extra key `br_netfilter` is "loaded" or "not_loaded" (whether
   * /proc/sys/net/bridge exists), so a rule can tell "bridge-nf-call-iptables absent" from "0".
   */
  sysctls?: Record<string, string>;
  iptables?: IptablesFacts;
  iptablesLegacy?: IptablesFacts;
  nft?: NftFacts;
  ebtables?: EbtablesFacts;
  qdiscs?: QdiscFact[];
  conntrack?: ConntrackFacts;
  nstat?: Record<string, number>;
  kernelLog?: KernelLogFacts;
  virsh?: VirshFacts;
  ovs?: OvsFacts;
  nmcli?: NmDeviceFact[];
  services?: ServiceFacts;
  dhcpListeners?: ListenerFact[];
  ping?: PingResult[];
  pingMtu?: PingResult[];
  arping?: ArpingResult[];
  [probe: string]: unknown;
}

/** What the engine gets: parsed facts plus how each probe fared, so rules can stay silent without evidence. */
export interface HostFacts {
  host: string;
  parsed: ParsedFacts;
  status: Record<string, EvidenceStatus>;
  notes: string[];
}
