/**
 * HostFacts → host model. Generic derivation: roles come from link kinds, libvirt's MAC convention,
 * virsh, the FDB and the routing table, never from the names of one lab.
 */
import type { HostFacts, LinkFact, ParsedFacts } from "../../facts/types.js";
import type {
  BridgeItem,
  GuestItem,
  HostItem,
  HostModel,
  LinkItem,
  NetworkItem,
  PortItem,
  TapItem,
  UplinkItem,
} from "./fields.js";
import * as fw from "./firewall.js";
import { inPrefix, ipToInt, macTail, networkOf, overlaps, prefixWithin } from "./net.js";
import { buildPaths } from "./path.js";

export interface ModelInput {
  targets: string[];
}

const TAP_NAME = /^(vnet|tap|vif|macvtap|tun|fwpr|fwln)\d/i;
const UPLINK_NAME = /^(en|eth|em|wl|ib|bond|team|p\d+p\d+)/i;
const UPLINK_KINDS = new Set(["bond", "team", "vlan", "macsec"]);

export function sysctlNum(f: ParsedFacts, key: string): number {
  const v = f.sysctls?.[key];
  if (v === undefined) return -1;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : -1;
}

function conf(f: ParsedFacts, iface: string, key: string): number {
  return sysctlNum(f, `net.ipv4.conf.${iface}.${key}`);
}

/** Context shared by the model builders. */
export class Ctx {
  readonly f: ParsedFacts;
  readonly links = new Map<string, LinkFact>();
  readonly hostMacs = new Set<string>();
  readonly targets: string[];
  readonly gateway: string;
  readonly defaultDev: string;
  readonly gatewayMac: string;
  readonly virshTargets = new Map<
    string,
    { domain: string; type: string; source: string; mac: string; link: string; running: boolean }
  >();

  constructor(
    readonly facts: HostFacts,
    input: ModelInput,
  ) {
    this.f = facts.parsed;
    this.targets = input.targets;
    for (const l of this.f.links ?? []) {
      this.links.set(l.ifname, l);
      if (l.address) this.hostMacs.add(l.address.toLowerCase());
    }
    const def = (this.f.routes ?? []).find((r) => r.dst === "default" && (!r.table || r.table === "main"));
    this.gateway = def?.gateway ?? "";
    this.defaultDev = def?.dev ?? "";
    const gw = (this.f.neighbours ?? []).find((n) => n.dst === this.gateway && n.lladdr);
    this.gatewayMac = gw?.lladdr?.toLowerCase() ?? "";
    for (const d of this.f.virsh?.domains ?? [])
      for (const i of d.interfaces)
        if (i.target && i.target !== "-")
          this.virshTargets.set(i.target, {
            domain: d.name,
            type: i.type,
            source: i.source,
            mac: i.mac.toLowerCase(),
            link: i.link ?? "",
            running: /running|paused/.test(d.state),
          });
  }

  /** Unicast routes of the main table (`ip route show table all` also lists local/broadcast entries). */
  get mainRoutes() {
    return this.cached("mainRoutes", () =>
      (this.f.routes ?? []).filter(
        (r) => (!r.table || r.table === "main") && (!r.type || r.type === "unicast"),
      ),
    );
  }

  private readonly memo = new Map<string, unknown>();
  private cached<T>(key: string, make: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const v = make();
    this.memo.set(key, v);
    return v;
  }

  ok(probe: string): boolean {
    return this.facts.status[probe] === "ok";
  }

  isBridge(name: string): boolean {
    return this.links.get(name)?.kind === "bridge";
  }

  /** Global IPv4 addresses of an interface. */
  ipv4(name: string): { local: string; prefixlen: number }[] {
    return this.cached(`ipv4:${name}`, () =>
      (this.f.addresses ?? []).filter(
        (a) => a.ifname === name && a.family === "inet" && a.scope !== "host" && !a.local.startsWith("127."),
      ),
    );
  }

  portFact(name: string) {
    return (this.f.bridgePorts ?? []).find((p) => p.ifname === name);
  }

  /** Is this link a guest-facing device (tap, macvtap, or a veth standing in for one)? */
  isTapLike(l: LinkFact): boolean {
    return this.cached(`tap:${l.ifname}`, () => this.tapLikeUncached(l));
  }

  private tapLikeUncached(l: LinkFact): boolean {
    if (this.virshTargets.has(l.ifname)) return true;
    if (l.kind === "tun" || l.kind === "macvtap") return true;
    if (l.kind === "bridge" || l.flags.includes("LOOPBACK")) return false;
    const mac = l.address?.toLowerCase() ?? "";
    // libvirt gives every tap the guest MAC with the first byte fe (fa when the guest's is fe).
    // A device holding a host address of a subnet is a host NIC (management, storage), whatever its MAC.
    const hostNic = this.ipv4(l.ifname).some((a) => a.prefixlen < 32);
    // A random kernel MAC can start with fe too: on a NIC-named link only a guest MAC with that tail counts.
    if (
      (l.kind === "veth" || l.kind === undefined) &&
      /^(fe|fa):/.test(mac) &&
      !hostNic &&
      !this.isUplinkByFdb(l.ifname) &&
      (!UPLINK_NAME.test(l.ifname) || this.guestMacWithTail(mac))
    )
      return true;
    return TAP_NAME.test(l.ifname) && !this.isUplinkByFdb(l.ifname);
  }

  /** A non-host MAC in the FDB or the neighbour table with the same tail as this fe: MAC (its guest's). */
  guestMacWithTail(mac: string): boolean {
    const tail = macTail(mac);
    const other = (m: string | undefined) =>
      !!m && macTail(m) === tail && m.toLowerCase() !== mac && !this.hostMacs.has(m.toLowerCase());
    return (
      (this.f.fdb ?? []).some((e) => other(e.mac)) || (this.f.neighbours ?? []).some((n) => other(n.lladdr))
    );
  }

  isUplinkByFdb(name: string): boolean {
    return this.cached(`upfdb:${name}`, () => this.uplinkByFdbUncached(name));
  }

  private uplinkByFdbUncached(name: string): boolean {
    return (
      !!this.gatewayMac &&
      (this.f.fdb ?? []).some((e) => e.ifname === name && e.mac.toLowerCase() === this.gatewayMac)
    );
  }

  isUplinkLike(l: LinkFact): boolean {
    if (l.flags.includes("LOOPBACK") || l.ifname === "lo" || l.kind === "bridge") return false;
    if (this.isTapLike(l)) return false;
    if (this.isUplinkByFdb(l.ifname)) return true;
    if (l.kind === undefined || UPLINK_KINDS.has(l.kind)) return true;
    return UPLINK_NAME.test(l.ifname);
  }

  role(l: LinkFact): string {
    return this.cached(`role:${l.ifname}`, () => this.roleUncached(l));
  }

  private roleUncached(l: LinkFact): string {
    if (l.kind === "bridge") return "bridge";
    if (l.kind === "macvtap" || (l.kind === "macvlan" && this.virshTargets.has(l.ifname))) return "macvtap";
    if (this.isTapLike(l)) return "tap";
    if (this.isUplinkLike(l)) return "uplink";
    return "other";
  }

  portsOf(br: string): LinkFact[] {
    return [...this.links.values()].filter((l) => l.master === br);
  }

  bridgeOfSubnet(ip: string): string {
    for (const l of this.links.values())
      if (l.kind === "bridge")
        for (const a of this.ipv4(l.ifname))
          if (inPrefix(ip, networkOf(a.local, a.prefixlen))) return l.ifname;
    return "";
  }

  subnetOf(name: string): string {
    const a = this.ipv4(name)[0];
    return a ? networkOf(a.local, a.prefixlen) : "";
  }

  /** Guest IPs known for a MAC (neighbour table, virsh addresses). */
  ipsOfMac(mac: string): string[] {
    const m = mac.toLowerCase();
    const ips = new Set<string>();
    for (const n of this.f.neighbours ?? [])
      if (n.lladdr?.toLowerCase() === m && ipToInt(n.dst) !== null) ips.add(n.dst);
    for (const d of this.f.virsh?.domains ?? [])
      for (const a of d.addresses)
        if (a.mac.toLowerCase() === m && ipToInt(a.address) !== null) ips.add(a.address);
    return [...ips];
  }

  /** The guest MAC behind a tap: virsh, then a MAC learned on the port, then libvirt's fe: convention. */
  guestMacOfTap(l: LinkFact): string {
    const v = this.virshTargets.get(l.ifname);
    if (v?.mac) return v.mac;
    const learned = (this.f.fdb ?? []).find(
      (e) =>
        e.ifname === l.ifname &&
        e.state !== "permanent" &&
        !e.flags.includes("self") &&
        !this.hostMacs.has(e.mac.toLowerCase()) &&
        isUnicast(e.mac),
    );
    if (learned) return learned.mac.toLowerCase();
    const tail = macTail(l.address);
    if (l.address && /^(fe|fa):/i.test(l.address)) {
      const seen = (this.f.neighbours ?? []).find(
        (n) => n.lladdr && macTail(n.lladdr) === tail && !this.hostMacs.has(n.lladdr.toLowerCase()),
      );
      if (seen?.lladdr) return seen.lladdr.toLowerCase();
      const fdb = (this.f.fdb ?? []).find(
        (e) => macTail(e.mac) === tail && !this.hostMacs.has(e.mac.toLowerCase()),
      );
      if (fdb) return fdb.mac.toLowerCase();
    }
    return "";
  }

  /** Which tap a guest MAC belongs to. */
  tapOfMac(mac: string, ignoreFdb = false): string {
    const m = mac.toLowerCase();
    for (const [t, v] of this.virshTargets) if (v.mac === m) return t;
    for (const l of this.links.values()) {
      if (!l.address || !/^(fe|fa):/i.test(l.address)) continue;
      if (macTail(l.address) === macTail(m) && l.address.toLowerCase() !== m && this.isTapLike(l))
        return l.ifname;
    }
    if (ignoreFdb) return "";
    const learned = (this.f.fdb ?? []).find(
      (e) =>
        e.mac.toLowerCase() === m &&
        e.state === "" &&
        this.links.has(e.ifname) &&
        this.isTapLike(this.links.get(e.ifname)!),
    );
    return learned?.ifname ?? "";
  }
}

function isUnicast(mac: string): boolean {
  const first = Number.parseInt(mac.slice(0, 2), 16);
  return Number.isFinite(first) && (first & 1) === 0;
}

export function buildHostModel(facts: HostFacts, input: ModelInput): HostModel {
  const c = new Ctx(facts, input);
  const taps = buildTaps(c);
  const ports = buildPorts(c);
  const bridges = buildBridges(c, ports);
  const uplinks = buildUplinks(c);
  const networks = buildNetworks(c);
  const guests = buildGuests(c, taps);
  const host = buildHost(c);
  const links = buildLinks(c);
  const paths = buildPaths(c, { bridges, ports, taps, guests, networks, host });
  const onPath = new Set<string>();
  for (const p of paths)
    for (const d of [p.dev, p.port, p.tap, p.bridge, p.expectedDev, p.guestNetBridge]) if (d) onPath.add(d);
  for (const x of [...links, ...bridges, ...ports, ...taps]) x.onTargetPath = onPath.has(x.name);
  for (const n of networks) n.onTargetPath = onPath.has(n.bridge);
  for (const g of guests) g.onTargetPath = c.targets.includes(g.ip) || onPath.has(g.tap);
  return { host, links, bridges, ports, taps, uplinks, networks, guests, paths };
}

function buildLinks(c: Ctx): LinkItem[] {
  const out: LinkItem[] = [];
  for (const l of c.links.values()) {
    if (l.flags.includes("LOOPBACK")) continue;
    const qd = (c.f.qdiscs ?? []).filter((q) => q.dev === l.ifname);
    const bad = qd.find(
      (q) =>
        ![
          "noqueue",
          "fq_codel",
          "pfifo_fast",
          "mq",
          "noop",
          "pfifo",
          "fq",
          "ingress",
          "clsact",
          "cake",
          "sfq",
        ].includes(q.kind),
    );
    const ebt = (c.f.ebtables?.rules ?? []).find(
      (r) => r.target === "DROP" && (r.inIface === l.ifname || r.outIface === l.ifname),
    );
    out.push({
      name: l.ifname,
      kind: l.kind ?? "",
      role: c.role(l),
      master: l.master ?? "",
      adminUp: l.adminUp,
      carrier: l.carrier,
      mtu: l.mtu,
      qdiscKind: bad?.kind ?? "",
      qdiscHandle: bad?.handle ?? "",
      qdiscDrops: bad?.drops ?? 0,
      qdiscLossPercent: bad?.loss !== undefined ? Math.round(bad.loss * 100) : 0,
      qdiscShaping:
        !!bad && ["tbf", "htb", "netem", "hfsc", "cbq", "red", "choke", "plug"].includes(bad.kind),
      ebtDrops: ebt?.packets ?? 0,
      ebtDropText: ebt ? `${ebt.table} ${ebt.chain}: ${ebt.spec}` : "",
      ebtDropChain: ebt?.chain ?? "",
      onTargetPath: false,
    });
  }
  return out;
}

function buildTaps(c: Ctx): TapItem[] {
  const out: TapItem[] = [];
  for (const l of c.links.values()) {
    const role = c.role(l);
    if (role !== "tap" && role !== "macvtap") continue;
    const v = c.virshTargets.get(l.ifname);
    const guestMac = c.guestMacOfTap(l);
    const guestIp = (guestMac && c.ipsOfMac(guestMac)[0]) || "";
    let expected = "";
    let from = "";
    if (v) {
      if (v.type === "bridge") expected = v.source;
      else if (v.type === "network")
        expected = c.f.virsh?.networks.find((n) => n.name === v.source)?.bridge ?? "";
      if (expected) from = "virsh";
    }
    if (!expected && guestIp) {
      expected = c.bridgeOfSubnet(guestIp);
      if (expected) from = "guest address";
    }
    if (!expected && !l.master && role === "tap") {
      // The bridge that carries the other taps: the best guess for a tap that fell off its bridge.
      const counts = new Map<string, number>();
      for (const o of c.links.values())
        if (o.master && c.isBridge(o.master) && c.isTapLike(o))
          counts.set(o.master, (counts.get(o.master) ?? 0) + 1);
      const best = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
      if (best) {
        expected = best[0];
        from = "other taps";
      }
    }
    const parent = l.parent ?? "";
    const parentIps = parent ? c.ipv4(parent) : [];
    // A routed tap (libvirt <forward mode='route'> with /32s, "Hetzner style"): a host route points at it.
    // The kernel's connected route of an address on the device itself does not route a guest there.
    const routedVia = c.mainRoutes.find(
      (r) => r.dev === l.ifname && r.dst !== "default" && !r.gateway && r.protocol !== "kernel",
    );
    const proxyOf = (name: string) => {
      const all = sysctlNum(c.f, "net.ipv4.conf.all.proxy_arp");
      const one = conf(c.f, name, "proxy_arp");
      return all === -1 && one === -1 ? -1 : all === 1 || one === 1 ? 1 : 0;
    };
    const uplinkName = c.defaultDev;
    const port = l.port ?? (c.portFact(l.ifname) ? { state: c.portFact(l.ifname)?.state ?? "" } : undefined);
    out.push({
      name: l.ifname,
      kind: l.kind ?? "",
      mac: l.address?.toLowerCase() ?? "",
      master: l.master ?? "",
      enslaved: !!l.master,
      ovsPort: l.slaveKind === "openvswitch" || l.master === "ovs-system",
      // A routed tap (a host route points at it, it has no master) belongs in no bridge.
      expectedBridge: routedVia && !l.master ? "" : expected,
      expectedFrom: from,
      wrongBridge: !!l.master && !!expected && l.master !== expected && from !== "other taps",
      adminUp: l.adminUp,
      carrier: l.carrier,
      operstate: l.operstate,
      tunQueues: l.tun?.numqueues ?? -1,
      persist: l.tun?.persist ?? false,
      portState: port?.state ?? "",
      guestMac,
      guestIp,
      domain: v?.domain ?? "",
      ifaceType: v?.type ?? (l.kind === "macvtap" ? "direct" : ""),
      virshLink: v?.link ?? "",
      running: v ? v.running : true,
      mtu: l.mtu,
      parent,
      parentMaster: parent ? (c.links.get(parent)?.master ?? "") : "",
      parentHasHostIp: parentIps.length > 0,
      parentHostIp: parentIps[0]?.local ?? "",
      macvtapMode: l.macvlanMode ?? "",
      nmState: (c.f.nmcli ?? []).find((d) => d.device === l.ifname)?.state ?? "",
      routed: !!routedVia && !l.master,
      routedIp: routedVia ? routedVia.dst.replace(/\/32$/, "") : "",
      proxyArp: proxyOf(l.ifname),
      uplinkProxyArp: uplinkName ? proxyOf(uplinkName) : -1,
      uplink: uplinkName,
      onTargetPath: false,
    });
  }
  return out;
}

function portFlags(c: Ctx, l: LinkFact) {
  const p = l.port;
  const b = c.portFact(l.ifname);
  return {
    state: p?.state ?? b?.state ?? "",
    learning: p?.learning ?? b?.learning ?? true,
    flood: p?.flood ?? b?.flood ?? true,
    bcastFlood: p?.bcastFlood ?? b?.bcastFlood ?? true,
    isolated: p?.isolated ?? b?.isolated ?? false,
    locked: p?.locked ?? b?.locked ?? false,
    forwardDelayTimer: p?.forwardDelayTimer ?? -1,
  };
}

/**
 * Without virsh or libvirt's fe: tap MACs, a pinned guest MAC is still foreign on a tap that has
 * learned its own guest's MAC (a tap carries one vNIC): its owner is the one sibling tap that has
 * learned no guest MAC, because its guest's frames are pinned elsewhere.
 */
function ownerByElimination(c: Ctx, port: LinkFact, mac: string): string {
  if (!c.isTapLike(port)) return "";
  const learnedOn = (name: string) =>
    (c.f.fdb ?? []).filter(
      (e) =>
        e.ifname === name &&
        e.state === "" &&
        !e.flags.includes("self") &&
        isUnicast(e.mac) &&
        !c.hostMacs.has(e.mac.toLowerCase()),
    );
  if (!learnedOn(port.ifname).some((e) => e.mac.toLowerCase() !== mac.toLowerCase())) return "";
  const silent = c
    .portsOf(port.master ?? "")
    .filter((s) => s.ifname !== port.ifname && c.isTapLike(s) && learnedOn(s.ifname).length === 0);
  return silent.length === 1 ? silent[0]!.ifname : "";
}

function mode(values: number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = -1;
  let n = 0;
  for (const [v, k] of counts) if (k > n || (k === n && v < best)) [best, n] = [v, k];
  return best;
}

function buildPorts(c: Ctx): PortItem[] {
  const out: PortItem[] = [];
  const vlans = new Map((c.f.vlans ?? []).map((v) => [v.ifname, v.vlans]));
  for (const l of c.links.values()) {
    if (!l.master || !c.isBridge(l.master)) continue;
    const br = c.links.get(l.master)!;
    const flags = portFlags(c, l);
    const siblings = c.portsOf(l.master);
    const isolatedPeers = siblings.filter((s) => s.ifname !== l.ifname && portFlags(c, s).isolated).length;
    const mtuMode = mode(siblings.map((s) => s.mtu));
    const addr = c.ipv4(l.ifname)[0];
    const role = c.role(l);
    const myVlans = vlans.get(l.ifname) ?? [];
    const pvid = myVlans.find((v) => v.pvid);
    const uplink = siblings.find((s) => c.role(s) === "uplink");
    const uplinkVlans = uplink ? (vlans.get(uplink.ifname) ?? []) : [];
    const vidIn = (vid: number, list: typeof uplinkVlans) =>
      list.some((v) => vid >= v.vid && vid <= (v.vidEnd ?? v.vid));
    const staticFdb = (c.f.fdb ?? []).filter(
      (e) =>
        e.ifname === l.ifname &&
        (e.state === "static" || e.flags.includes("sticky")) &&
        !c.hostMacs.has(e.mac.toLowerCase()),
    ).length;
    // A static or sticky entry on this port for a guest MAC whose tap is another port (#14).
    let foreignStaticMac = "";
    let foreignOwner = "";
    for (const e of c.f.fdb ?? []) {
      if (e.ifname !== l.ifname || !(e.state === "static" || e.flags.includes("sticky"))) continue;
      if (c.hostMacs.has(e.mac.toLowerCase())) continue;
      const owner = c.tapOfMac(e.mac, true) || ownerByElimination(c, l, e.mac);
      if (owner && owner !== l.ifname) {
        foreignStaticMac = e.mac.toLowerCase();
        foreignOwner = owner;
        break;
      }
    }
    out.push({
      name: l.ifname,
      bridge: l.master,
      role,
      state: flags.state,
      adminUp: l.adminUp,
      carrier: l.carrier,
      bridgeUp: br.adminUp,
      isolated: flags.isolated,
      isolatedPeers,
      learning: flags.learning,
      flood: flags.flood,
      bcastFlood: flags.bcastFlood,
      locked: flags.locked,
      staticFdb,
      mtu: l.mtu,
      bridgeMtu: mtuMode,
      mtuOdd: siblings.length > 1 && l.mtu !== mtuMode,
      hasIPv4: !!addr,
      cidr: addr ? `${addr.local}/${addr.prefixlen}` : "",
      gateway: c.defaultDev === l.ifname ? c.gateway : c.gateway,
      stpState: br.bridge?.stpState ?? -1,
      forwardDelay: br.bridge?.forwardDelay ?? -1,
      forwardDelayTimer: flags.forwardDelayTimer,
      vlanFiltering: br.bridge?.vlanFiltering ?? -1,
      pvid: pvid?.vid ?? -1,
      vlanCount: myVlans.length,
      uplinkVlans: uplinkVlans.map((v) => (v.vidEnd ? `${v.vid}-${v.vidEnd}` : `${v.vid}`)).join(","),
      pvidOnUplink: pvid ? vidIn(pvid.vid, uplinkVlans) : false,
      pvidUntagged: pvid?.untagged ?? false,
      foreignStaticMac,
      foreignOwner,
      onTargetPath: false,
    });
  }
  return out;
}

function buildBridges(c: Ctx, ports: PortItem[]): BridgeItem[] {
  const out: BridgeItem[] = [];
  const brNf =
    c.f.sysctls?.br_netfilter !== "not_loaded" ? sysctlNum(c.f, "net.bridge.bridge-nf-call-iptables") : 0;
  for (const l of c.links.values()) {
    if (l.kind !== "bridge") continue;
    const name = l.ifname;
    const mine = ports.filter((p) => p.bridge === name);
    const addr = c.ipv4(name)[0];
    const subnet = addr ? networkOf(addr.local, addr.prefixlen) : "";
    const routes = c.mainRoutes;
    const connectedRoute = routes.some((r) => r.dev === name && r.dst !== "default");
    const defaultRoute = c.defaultDev === name || (!!c.gateway && !!subnet && inPrefix(c.gateway, subnet));
    const virshNet = c.f.virsh?.networks.find((n) => n.bridge === name);
    const nat = !!subnet && fw.hasMasquerade(c.f, subnet);
    const perBridgeNf = l.bridge?.nfCallIptables ?? 0;
    const bridgedFiltered = brNf === 1 || perBridgeNf === 1;
    // nft tables of their own are judged by nftables_drop; here only the iptables FORWARD chain.
    const fwdBlock = bridgedFiltered ? fw.iptForwardBlock(c.f, name, subnet, true) : undefined;
    // Native nft tables are nftables_drop's; here only iptables INPUT.
    const inBlock = fw.iptInputBlock(c.f, name, subnet);
    const hasUplink = mine.some((p) => p.role === "uplink");
    const hasTaps = mine.some((p) => p.role === "tap");
    // A bridge that carries the default route and taps but no NIC: the LAN side is missing.
    const expectsUplink = defaultRoute && !hasUplink && !nat && (hasTaps || mine.length > 0) && !virshNet;
    const stray = expectsUplink ? strayNic(c) : "";
    // Another route that covers (part of) this bridge's subnet through a different device.
    let overlapDev = "";
    let overlapPrefix = "";
    if (subnet)
      for (const r of routes) {
        if (!r.dev || r.dev === name || r.dst === "default") continue;
        const dst = r.dst.includes("/") ? r.dst : `${r.dst}/32`;
        if (overlaps(dst, subnet) && c.ipv4(r.dev).length + 1 > 0) {
          overlapDev = r.dev;
          overlapPrefix = dst;
          break;
        }
      }
    let paDev = "";
    let paPrefix = "";
    if (subnet)
      for (const r of routes) {
        if (!r.dev || r.dev === name || r.dst === "default") continue;
        const dst = r.dst.includes("/") ? r.dst : `${r.dst}/32`;
        // A /32 to a routed tap with proxy ARP is the routed-guest setup (#31), not a hijack.
        const via = c.links.get(r.dev);
        if (via && !via.master && c.isTapLike(via)) continue;
        if (prefixWithin(dst, subnet) && dst !== subnet) {
          paDev = r.dev;
          paPrefix = dst;
          break;
        }
      }
    const proxyAll = sysctlNum(c.f, "net.ipv4.conf.all.proxy_arp");
    const proxyIf = conf(c.f, name, "proxy_arp");
    out.push({
      name,
      adminUp: l.adminUp,
      carrier: l.carrier,
      mtu: l.mtu,
      ipv4: addr?.local ?? "",
      cidr: addr ? `${addr.local}/${addr.prefixlen}` : "",
      subnet,
      hasIPv4: !!addr,
      connectedRoute,
      defaultRoute,
      portCount: mine.length,
      tapCount: mine.filter((p) => p.role === "tap").length,
      uplinkCount: mine.filter((p) => p.role === "uplink").length,
      upPortCount: mine.filter((p) => p.adminUp).length,
      stpState: l.bridge?.stpState ?? -1,
      forwardDelay: l.bridge?.forwardDelay ?? -1,
      vlanFiltering: l.bridge?.vlanFiltering ?? -1,
      nfCallIptables: perBridgeNf,
      nat,
      network: virshNet?.name ?? "",
      isolatedPortCount: mine.filter((p) => p.isolated).length,
      proxyArp: proxyAll === -1 && proxyIf === -1 ? -1 : proxyAll === 1 || proxyIf === 1 ? 1 : 0,
      forwarding: conf(c.f, name, "forwarding"),
      rpFilter: Math.max(sysctlNum(c.f, "net.ipv4.conf.all.rp_filter"), conf(c.f, name, "rp_filter")),
      arpIgnore: Math.max(sysctlNum(c.f, "net.ipv4.conf.all.arp_ignore"), conf(c.f, name, "arp_ignore")),
      bridgedFiltered,
      forwardBlocked: !!fwdBlock,
      forwardBlockedBy: fwdBlock?.by ?? "",
      inputBlocked: !!inBlock,
      inputBlockedBy: inBlock?.by ?? "",
      inputBlockedRule: inBlock?.by.match(/-A INPUT (.*) \[\d+ packets\]$/)?.[1] ?? "",
      expectsUplink,
      strayNic: stray,
      overlapDev,
      overlapPrefix,
      proxyArpOverlapDev: paDev,
      proxyArpOverlapPrefix: paPrefix,
      onTargetPath: false,
    });
  }
  return out;
}

/**
 * A NIC-like link that is in no bridge and carries no address: the uplink that fell out. Links that
 * look like uplinks (kind, name, FDB) come first; any other plain link without an address is next.
 */
function strayNic(c: Ctx): string {
  const free = [...c.links.values()].filter(
    (l) => !l.master && c.ipv4(l.ifname).length === 0 && !l.flags.includes("LOOPBACK") && l.kind !== "bridge",
  );
  const uplink = free.find((l) => c.role(l) === "uplink");
  if (uplink) return uplink.ifname;
  return free.find((l) => c.role(l) === "other" && (l.kind === "veth" || l.kind === undefined))?.ifname ?? "";
}

function buildUplinks(c: Ctx): UplinkItem[] {
  const out: UplinkItem[] = [];
  for (const l of c.links.values()) {
    if (c.role(l) !== "uplink") continue;
    // A NIC outside every bridge with its own address is a routed interface (management, storage), not a bridge uplink.
    if (!l.master && c.ipv4(l.ifname).length > 0 && c.defaultDev !== l.ifname) continue;
    const gwNeigh = (c.f.neighbours ?? []).find((n) => n.dst === c.gateway);
    out.push({
      name: l.ifname,
      kind: l.kind ?? "",
      master: l.master ?? "",
      enslaved: !!l.master,
      adminUp: l.adminUp,
      carrier: l.carrier,
      isolated: portFlags(c, l).isolated,
      wireless: /^wl/.test(l.ifname),
      hostVirtualised: ["kvm", "xen", "amazon", "microsoft", "vmware", "google", "qemu"].includes(
        String(c.f.services?.units?.virt ?? ""),
      ),
      gatewayReachable: !!gwNeigh?.lladdr && !gwNeigh.state.some((s) => s === "FAILED" || s === "INCOMPLETE"),
      guestOutsideFails: false,
      ebtForeignMacDrop: fw.ebtForeignMacDrop(c.f, l.ifname),
    });
  }
  return out;
}

function buildNetworks(c: Ctx): NetworkItem[] {
  const out: NetworkItem[] = [];
  const ipForward = sysctlNum(c.f, "net.ipv4.ip_forward");
  const dhcp = [...(c.f.dhcpListeners ?? []), ...(c.f.services?.listeners ?? [])];
  const dnsmasq = (c.f.services?.processes ?? []).filter((p) => /dnsmasq/.test(p.command));
  const make = (
    name: string,
    bridge: string,
    subnet: string,
    source: string,
    forwardMode: string,
    active: boolean,
    usedBy: number,
    dhcpExpected: boolean,
  ): NetworkItem => {
    const l = c.links.get(bridge);
    const masq = !!subnet && fw.hasMasquerade(c.f, subnet);
    const reject = fw.isolationRejects(c.f, bridge, subnet);
    const dhcpListening = dhcp.some(
      (x) =>
        x.port === 67 &&
        (x.dev === bridge ||
          x.local.endsWith(`%${bridge}`) ||
          (x.local !== "*" && !!subnet && inPrefix(x.local.split("%")[0] ?? "", subnet))),
    );
    return {
      name,
      bridge,
      subnet,
      source,
      forwardMode,
      active,
      bridgeExists: !!l,
      bridgeUp: !!l?.adminUp,
      usedByDomains: usedBy,
      tapCount: c.portsOf(bridge).filter((p) => c.isTapLike(p)).length,
      masquerade: masq,
      subnetRules: fw.subnetRuleCount(c.f, bridge, subnet),
      ipForward,
      ifForwarding: conf(c.f, bridge, "forwarding"),
      rejectRules: !!reject,
      rejectText: reject,
      dhcpExpected,
      dhcpRequests: fw.dhcpRequests(c.f, bridge),
      dhcpListening,
      dnsmasqRunning: dnsmasq.some((p) => p.command.includes(name) || p.command.includes(bridge)),
      dhcpBlocked: !!fw.dhcpBlock(c.f, bridge),
      dhcpBlockedBy: fw.dhcpBlock(c.f, bridge),
      checksumFill: fw.checksumFill(c.f, bridge),
      iptablesBackend: !c.f.nft?.tables.some((t) => fw.isLibvirtTable(t.name)),
      guestNoIp: false,
      firewalldZone: c.f.services?.firewalldZones?.find((z) => z.interfaces.includes(bridge))?.zone ?? "",
      onTargetPath: false,
    };
  };
  const seen = new Set<string>();
  for (const n of c.f.virsh?.networks ?? []) {
    const bridge = n.bridge ?? "";
    const subnet = n.address && n.prefix !== undefined ? networkOf(n.address, n.prefix) : c.subnetOf(bridge);
    const usedBy = (c.f.virsh?.domains ?? []).filter((d) =>
      d.interfaces.some((i) => i.type === "network" && i.source === n.name),
    ).length;
    out.push(
      make(n.name, bridge, subnet, "virsh", n.forwardMode ?? "isolated", n.active, usedBy, !!n.dhcpRange),
    );
    if (bridge) seen.add(bridge);
  }
  // Without virsh: a bridge with an address that does not carry the default route and serves guests is a
  // host-internal network; its mode is read from the firewall (MASQUERADE → nat, rejects → isolated).
  for (const l of c.links.values()) {
    if (l.kind !== "bridge" || seen.has(l.ifname)) continue;
    const subnet = c.subnetOf(l.ifname);
    if (!subnet) continue;
    const defaultHere = c.defaultDev === l.ifname || (!!c.gateway && inPrefix(c.gateway, subnet));
    if (defaultHere) continue;
    const hasUplink = c.portsOf(l.ifname).some((p) => c.role(p) === "uplink");
    if (hasUplink) continue;
    const mode = fw.networkMode(c.f, l.ifname, subnet);
    // Processes are not per network namespace, so a dnsmasq command line proves nothing here; only virsh
    // says that a network should serve DHCP.
    out.push(make(l.ifname, l.ifname, subnet, "inferred", mode, true, 0, false));
  }
  return out;
}

function buildGuests(c: Ctx, taps: TapItem[]): GuestItem[] {
  const byIp = new Map<string, { mac: string; tap: string }>();
  for (const t of taps) if (t.guestIp) byIp.set(t.guestIp, { mac: t.guestMac, tap: t.name });
  for (const d of c.f.virsh?.domains ?? [])
    for (const a of d.addresses)
      if (!byIp.has(a.address)) byIp.set(a.address, { mac: a.mac.toLowerCase(), tap: a.target });
  for (const n of c.f.neighbours ?? []) {
    if (!n.lladdr || byIp.has(n.dst) || ipToInt(n.dst) === null || n.dst === c.gateway) continue;
    const tap = c.tapOfMac(n.lladdr);
    if (tap) byIp.set(n.dst, { mac: n.lladdr.toLowerCase(), tap });
  }
  for (const t of c.targets) {
    if (byIp.has(t) || t === c.gateway) continue;
    const br = c.bridgeOfSubnet(t);
    if (!br || c.ipv4(br).some((a) => a.local === t)) continue;
    const n = (c.f.neighbours ?? []).find((x) => x.dst === t && x.lladdr);
    if (n?.lladdr && c.gatewayMac && n.lladdr.toLowerCase() === c.gatewayMac) continue;
    byIp.set(t, { mac: n?.lladdr?.toLowerCase() ?? "", tap: n?.lladdr ? c.tapOfMac(n.lladdr) : "" });
  }
  const out: GuestItem[] = [];
  for (const [ip, g] of byIp) {
    const neigh = (c.f.neighbours ?? []).find((n) => n.dst === ip);
    const ping = (c.f.ping ?? []).find((p) => p.target === ip);
    const arp = (c.f.arping ?? []).find((a) => a.target === ip);
    const tapLink = c.links.get(g.tap);
    const bridge = tapLink?.master ?? c.bridgeOfSubnet(ip);
    const bridgeSubnet = bridge ? c.subnetOf(bridge) : "";
    const domains = (c.f.virsh?.domains ?? []).filter((d) => d.addresses.some((a) => a.address === ip));
    out.push({
      ip,
      mac: g.mac,
      tap: g.tap,
      bridge,
      domain: c.virshTargets.get(g.tap)?.domain ?? "",
      neighState: neigh?.state.join(",") ?? "",
      pingSent: ping?.sent ?? -1,
      pingReceived: ping?.received ?? -1,
      arpingMacs: arp?.macs.length ?? -1,
      arpingMacList: arp?.macs.join(" ") ?? "",
      sameIpDomains: domains.length,
      inBridgeSubnet: !!bridgeSubnet && inPrefix(ip, bridgeSubnet),
      bridgeSubnet,
      onTargetPath: false,
    });
  }
  return out;
}

function buildHost(c: Ctx): HostItem {
  const f = c.f;
  const ct = f.conntrack;
  const klog = f.kernelLog;
  const count = ct?.count ?? sysctlNum(f, "net.netfilter.nf_conntrack_count");
  const max = ct?.max ?? sysctlNum(f, "net.netfilter.nf_conntrack_max");
  const fwdNft = fw.nftAnyDrop(f, "forward");
  const inNft = fw.nftAnyDrop(f, "input");
  const ipt = f.iptables?.chains.find((x) => x.table === "filter" && x.name === "FORWARD");
  // Duplicate MACs: one MAC answering for two IPs in the neighbour table, or two taps with one MAC.
  // An address nobody answers ARP for any more (arping silent) is a stale cache entry, not a second
  // live owner of the MAC: a guest that changed its address is not a duplicate MAC. An address two
  // MACs answer for is a duplicate IP, whose cache entry flips between them: not one either.
  const arpDead = (ip: string) =>
    (f.arping ?? []).some(
      (a) => a.target === ip && (((a.sent ?? 0) > 0 && a.macs.length === 0) || a.macs.length > 1),
    );
  const macIps = new Map<string, Set<string>>();
  for (const n of f.neighbours ?? [])
    if (n.lladdr && ipToInt(n.dst) !== null && !c.hostMacs.has(n.lladdr.toLowerCase()) && !arpDead(n.dst))
      (
        macIps.get(n.lladdr.toLowerCase()) ??
        macIps.set(n.lladdr.toLowerCase(), new Set()).get(n.lladdr.toLowerCase())!
      ).add(n.dst);
  let dupMac = "";
  let dupIps: string[] = [];
  for (const [mac, ips] of macIps)
    if (ips.size > 1 && mac !== c.gatewayMac) {
      dupMac = mac;
      dupIps = [...ips];
      break;
    }
  if (!dupMac) {
    const tapMacs = new Map<string, string[]>();
    for (const l of c.links.values())
      if (l.address && c.isTapLike(l)) tapMacs.set(l.address, [...(tapMacs.get(l.address) ?? []), l.ifname]);
    for (const d of f.virsh?.domains ?? [])
      for (const i of d.interfaces)
        if (i.mac) tapMacs.set(`g:${i.mac}`, [...(tapMacs.get(`g:${i.mac}`) ?? []), d.name]);
    for (const [mac, names] of tapMacs)
      if (names.length > 1) {
        dupMac = mac.replace(/^g:/, "");
        dupIps = names;
        break;
      }
  }
  const nm = f.nmcli ?? [];
  const nmActive = nm.length > 0 || f.services?.units?.NetworkManager === "active";
  const disturbed = nm.find(
    (d) =>
      (TAP_NAME.test(d.device) || c.virshTargets.has(d.device)) &&
      /^(disconnected|unavailable|deactivating)/.test(d.state),
  );
  const ovsBroken = f.ovs?.interfaces.find((i) => i.ofport === -1 || !!i.error);
  const ovsBr = ovsBroken ? f.ovs?.bridges.find((b) => b.ports.includes(ovsBroken.name)) : undefined;
  const units = f.services?.units ?? {};
  const userDomains = (f.virsh?.domains ?? []).filter((d) => d.interfaces.some((i) => i.type === "user"));
  const inactive = (f.virsh?.networks ?? []).find(
    (n) =>
      !n.active &&
      (f.virsh?.domains ?? []).some((d) =>
        d.interfaces.some((i) => i.type === "network" && i.source === n.name),
      ),
  );
  // The kernel log is shared by every network namespace: only martians on this host's own devices count.
  const martians = (klog?.martians ?? []).filter((m) => c.links.has(m.dev));
  const martian = martians[martians.length - 1];
  // A direct (macvtap) interface whose parent NIC is already a bridge port: the kernel refuses it (#22).
  let direct: { source: string } | undefined;
  let directDomain: { name: string } | undefined;
  for (const d of f.virsh?.domains ?? [])
    for (const i of d.interfaces)
      if (i.type === "direct" && c.links.get(i.source)?.master && !direct) {
        direct = { source: i.source };
        directDomain = d;
      }
  return {
    name: c.facts.host,
    ipForward: sysctlNum(f, "net.ipv4.ip_forward"),
    brNetfilter:
      f.sysctls?.br_netfilter === "loaded" || sysctlNum(f, "net.bridge.bridge-nf-call-iptables") >= 0,
    bridgeNfCallIptables:
      f.sysctls?.br_netfilter === "not_loaded" ? -1 : sysctlNum(f, "net.bridge.bridge-nf-call-iptables"),
    forwardPolicy: fw.forwardPolicy(f),
    iptForwardPolicy: ipt?.policy ?? "",
    iptForwardPolicyPackets: ipt?.packets ?? -1,
    inputPolicy: fw.inputPolicy(f),
    nftFwdFamily: fwdNft?.family ?? "",
    nftFwdTable: fwdNft?.tableName ?? "",
    nftFwdChain: fwdNft?.chain ?? "",
    nftFwdText: fwdNft?.by ?? "",
    nftFwdHandle: fwdNft?.handle !== undefined ? String(fwdNft.handle) : "",
    nftFwdPolicyChain: fwdNft?.policy ? (fwdNft.chain ?? "") : "",
    nftInFamily: inNft?.family ?? "",
    nftInTable: inNft?.tableName ?? "",
    nftInChain: inNft?.chain ?? "",
    nftInText: inNft?.by ?? "",
    nftInHandle: inNft?.handle !== undefined ? String(inNft.handle) : "",
    nftInPolicyChain: inNft?.policy ? (inNft.chain ?? "") : "",
    firewalldTable: (f.nft?.tables ?? []).some((t) => t.name === "firewalld"),
    firewalldRejectText: fw.firewalldRejects(f),
    firewallRuleCount: fw.firewallRuleCount(f),
    libvirtRules: fw.libvirtRulesPresent(f),
    conntrackCount: count,
    conntrackMax: max,
    conntrackFillPercent: count >= 0 && max > 0 ? Math.round((count / max) * 100) : -1,
    conntrackDrops: ct ? ct.drop + ct.earlyDrop + ct.insertFailed : -1,
    conntrackFullLog: klog?.conntrackFull ?? 0,
    neighCount: (f.neighbours ?? []).filter((n) => ipToInt(n.dst) !== null).length,
    gcThresh3: sysctlNum(f, "net.ipv4.neigh.default.gc_thresh3"),
    neighOverflowLog: klog?.neighOverflow ?? 0,
    ownAddressLog: klog?.ownAddress ?? 0,
    duplicateMac: dupMac,
    duplicateMacCount: dupIps.length,
    duplicateMacIps: dupIps.join(" "),
    nmActive,
    nmDisturbedTap: disturbed?.device ?? "",
    nmDisturbedState: disturbed?.state ?? "",
    ovsBrokenPort: ovsBroken?.name ?? "",
    ovsBrokenBridge: ovsBr?.name ?? "",
    ovsBrokenError: ovsBroken?.error ?? (ovsBroken ? "ofport -1" : ""),
    ovsDaemonDown:
      (f.ovs?.bridges.length ?? 0) > 0 &&
      ["ovs-vswitchd", "openvswitch-switch", "openvswitch"].some(
        (u) => units[u] === "failed" || units[u] === "inactive",
      ) &&
      !["ovs-vswitchd", "openvswitch-switch", "openvswitch"].some((u) => units[u] === "active"),
    firewalldActive: units.firewalld === "active",
    dockerActive: units.docker === "active",
    ufwActive: units.ufw === "active",
    defaultGateway: c.gateway,
    defaultDev: c.defaultDev,
    virsh: c.ok("virsh") && !!f.virsh,
    userModeDomain: userDomains[0]?.name ?? "",
    userModeCount: userDomains.length,
    inactiveNetwork: inactive?.name ?? "",
    inactiveNetworkUsers: inactive
      ? (f.virsh?.domains ?? []).filter((d) =>
          d.interfaces.some((i) => i.type === "network" && i.source === inactive.name),
        ).length
      : 0,
    rpFilterAll: sysctlNum(f, "net.ipv4.conf.all.rp_filter"),
    arpIgnoreAll: sysctlNum(f, "net.ipv4.conf.all.arp_ignore"),
    proxyArpAll: sysctlNum(f, "net.ipv4.conf.all.proxy_arp"),
    rpFilterDrops: f.nstat?.TcpExtIPReversePathFilter ?? -1,
    martianLog: martians.length,
    martianDev: martian?.dev ?? "",
    martianDevRpFilter: martian
      ? Math.max(sysctlNum(f, "net.ipv4.conf.all.rp_filter"), conf(f, martian.dev, "rp_filter"))
      : -1,
    arpFilterDrops: f.nstat?.TcpExtArpFilter ?? -1,
    macvtapBusyLog:
      (klog?.lines ?? [])
        .find((l) => /error creating macvtap interface.*(busy|EBUSY)/i.test(l))
        ?.slice(0, 200) ?? "",
    directOnBridgePort: direct?.source ?? "",
    directParent: direct ? (c.links.get(direct.source)?.master ?? "") : "",
    directDomain: directDomain?.name ?? "",
  };
}
