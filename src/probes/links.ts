import type { LinkFact } from "../facts/types.js";
import type { Probe } from "./types.js";
import { bool, jsonObjects, num, obj, str, strings } from "./util.js";

const ID = "links";

/** `ip -j -d -s link show`: details (linkinfo) and stats64 in one dump. */
export function parseLinks(stdout: string): LinkFact[] {
  const out: LinkFact[] = [];
  for (const o of jsonObjects(ID, stdout)) {
    const ifname = str(o.ifname);
    if (ifname === undefined) continue; // `{}` rows of filtered dumps (§0.2 trap 1)
    const flags = strings(o.flags);
    const info = obj(o.linkinfo);
    const kind = str(info?.info_kind);
    const data = obj(info?.info_data);
    const slaveKind = str(info?.info_slave_kind);
    const slave = obj(info?.info_slave_data);
    const link: LinkFact = {
      ifname,
      ifindex: num(o.ifindex) ?? -1,
      flags,
      adminUp: flags.includes("UP"),
      carrier: flags.includes("LOWER_UP") && !flags.includes("NO-CARRIER"),
      operstate: str(o.operstate) ?? "UNKNOWN",
      mtu: num(o.mtu) ?? 0,
    };
    if (kind !== undefined) link.kind = kind;
    const master = str(o.master);
    if (master !== undefined) link.master = master;
    if (slaveKind !== undefined) link.slaveKind = slaveKind;
    const address = str(o.address);
    if (address !== undefined) link.address = address;
    const linkIndex = num(o.link_index);
    if (linkIndex !== undefined) link.linkIndex = linkIndex;
    if (kind === "veth") {
      // `link` of a veth names the peer's ifindex resolved in the wrong netns (§0.2 trap 3).
      link.peerInOtherNetns = o.link_netnsid !== undefined;
    } else {
      const parent = str(o.link);
      if (parent !== undefined) link.parent = parent;
    }
    if (kind === "tun" && data) {
      link.tun = { type: str(data.type) ?? "tun" };
      const q = num(data.numqueues);
      if (q !== undefined) link.tun.numqueues = q;
      const persist = bool(data.persist);
      if (persist !== undefined) link.tun.persist = persist;
    }
    if ((kind === "macvlan" || kind === "macvtap") && data) {
      const mode = str(data.mode);
      if (mode !== undefined) link.macvlanMode = mode;
    }
    if (kind === "bridge" && data) {
      link.bridge = {
        stpState: num(data.stp_state) ?? 0,
        forwardDelay: num(data.forward_delay) ?? 0,
        vlanFiltering: num(data.vlan_filtering) ?? 0,
      };
      const nf = num(data.nf_call_iptables);
      if (nf !== undefined) link.bridge.nfCallIptables = nf;
      const prio = num(data.priority);
      if (prio !== undefined) link.bridge.priority = prio;
    }
    if (slaveKind === "bridge" && slave) {
      link.port = {
        state: str(slave.state) ?? "unknown",
        learning: bool(slave.learning) ?? true,
        flood: bool(slave.flood) ?? true,
        bcastFlood: bool(slave.bcast_flood) ?? true,
        isolated: bool(slave.isolated) ?? false,
        locked: bool(slave.locked) ?? false,
        hairpin: bool(slave.hairpin) ?? false,
      };
      const timer = num(slave.forward_delay_timer);
      if (timer !== undefined) link.port.forwardDelayTimer = timer;
    }
    const stats = obj(o.stats64);
    const rx = obj(stats?.rx);
    const tx = obj(stats?.tx);
    if (rx && tx) {
      link.stats = {
        rxPackets: num(rx.packets) ?? 0,
        txPackets: num(tx.packets) ?? 0,
        rxDropped: num(rx.dropped) ?? 0,
        txDropped: num(tx.dropped) ?? 0,
        rxErrors: num(rx.errors) ?? 0,
        txErrors: num(tx.errors) ?? 0,
        rxBytes: num(rx.bytes) ?? 0,
        txBytes: num(tx.bytes) ?? 0,
      };
    }
    out.push(link);
  }
  return out;
}

export const links: Probe<LinkFact[]> = {
  id: ID,
  command: () => "ip -j -d -s link show",
  timeoutMs: 10_000,
  root: false,
  tool: "ip",
  parse: (stdout) => parseLinks(stdout),
};
